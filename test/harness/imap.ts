// A real IMAP client (imapflow) against the sandbox: what a user's mail program sees, independent of
// both the provider and doveadm. Plain LOGIN over 127.0.0.1 without TLS, short timeouts, no logging.
import { ImapFlow } from "imapflow";

/** Where to connect and as whom. */
export interface ImapTarget {
    /** The IMAP port on 127.0.0.1 (Sandbox.imapPort). */
    imapPort: number;
}

/** A user's login. */
export interface ImapLogin {
    name: string;
    password: string;
}

/** One mailbox as the server's LIST/LSUB answers describe it. */
export interface ImapMailbox {
    /** The full name, levels joined by the hierarchy delimiter. */
    path: string;
    /** Present in LIST (the mailbox exists). */
    listed: boolean;
    /** Present in LSUB (the user is subscribed). */
    subscribed: boolean;
}

/** The answer to STATUS. */
export interface ImapStatus {
    messages: number;
    unseen: number;
    uidNext: number;
    uidValidity: number;
}

/** What a user sees: every mailbox (LIST), every subscription (LSUB), sorted. */
export interface ImapView {
    list: string[];
    lsub: string[];
}

const TIMEOUT_MS = 10_000;

/** Opens a logged-in session, runs `fn`, and always logs out (or drops the socket). */
export async function withImap<T>(
    target: ImapTarget,
    login: ImapLogin,
    fn: (client: ImapFlow) => Promise<T>,
): Promise<T> {
    const client = new ImapFlow({
        host: "127.0.0.1",
        port: target.imapPort,
        secure: false,
        doSTARTTLS: false,
        auth: { user: login.name, pass: login.password },
        logger: false,
        connectionTimeout: TIMEOUT_MS,
        greetingTimeout: TIMEOUT_MS,
        socketTimeout: 30_000,
        disableAutoIdle: true,
    });
    // A socket error after the work is done must not become an unhandled 'error' event.
    client.on("error", () => undefined);
    await client.connect();
    try {
        return await fn(client);
    } finally {
        await client.logout().catch(() => client.close());
    }
}

/** LIST and LSUB of every mailbox of the user. */
export async function imapMailboxes(target: ImapTarget, login: ImapLogin): Promise<ImapMailbox[]> {
    return withImap(target, login, async (client) => {
        const entries = await client.list();
        return entries
            .map((e) => ({ path: e.path, listed: e.listed, subscribed: e.subscribed }))
            .sort((a, b) => a.path.localeCompare(b.path));
    });
}

/** The part of imapflow's internal command runner that a raw LSUB needs. */
interface RawExec {
    exec(
        command: string,
        attributes: { type: string; value: string }[],
        options: {
            untagged: Record<string, (untagged: { attributes?: { value?: unknown }[] }) => Promise<void>>;
        },
    ): Promise<{ next: () => void }>;
}

/**
 * The raw answer to `LSUB "" "*"`, sorted. imapflow's list() drops subscriptions to mailboxes that do
 * not exist, and a Subscription may name one, so this sends the command itself (ASCII names only:
 * no modified UTF-7 decoding).
 */
export async function imapLsub(target: ImapTarget, login: ImapLogin): Promise<string[]> {
    return withImap(target, login, async (client) => {
        const raw = client as unknown as Partial<RawExec>;
        if (typeof raw.exec !== "function") throw new Error("this imapflow has no exec(): cannot send LSUB");
        const names: string[] = [];
        const response = await raw.exec.call(
            client,
            "LSUB",
            [
                { type: "STRING", value: "" },
                { type: "STRING", value: "*" },
            ],
            {
                untagged: {
                    LSUB: async (untagged) => {
                        const value = untagged.attributes?.[2]?.value;
                        if (typeof value === "string") names.push(value);
                        else if (Buffer.isBuffer(value)) names.push(value.toString("utf8"));
                        else if (value !== undefined)
                            throw new Error(
                                `LSUB answered a name that is not text: ${JSON.stringify(value)}`,
                            );
                    },
                },
            },
        );
        response.next();
        return names.sort();
    });
}

/** The names in LIST (imapflow's list()) and in LSUB (a raw LSUB), each sorted. */
export async function imapView(target: ImapTarget, login: ImapLogin): Promise<ImapView> {
    const all = await imapMailboxes(target, login);
    return {
        list: all.filter((m) => m.listed).map((m) => m.path),
        lsub: await imapLsub(target, login),
    };
}

/** STATUS of one mailbox, or undefined when the server says it does not exist. */
export async function imapStatus(
    target: ImapTarget,
    login: ImapLogin,
    mailbox: string,
): Promise<ImapStatus | undefined> {
    return withImap(target, login, async (client) => {
        try {
            const status = await client.status(mailbox, {
                messages: true,
                unseen: true,
                uidNext: true,
                uidValidity: true,
            });
            if (!status) return undefined;
            return {
                messages: status.messages ?? 0,
                unseen: status.unseen ?? 0,
                uidNext: status.uidNext ?? 0,
                uidValidity: Number(status.uidValidity ?? 0),
            };
        } catch (error) {
            // NO [NONEXISTENT] Mailbox doesn't exist
            const text = JSON.stringify({
                message: (error as Error).message,
                response: (error as { responseText?: string }).responseText,
                code: (error as { serverResponseCode?: string }).serverResponseCode,
            });
            if (/NONEXISTENT|doesn't exist|does not exist/i.test(text)) return undefined;
            throw error;
        }
    });
}
