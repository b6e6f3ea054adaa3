// A typed doveadm HTTP client: one method per command the provider needs. It sends one command per
// request, at most `maxConcurrency` at once per endpoint and one at a time per user, retries what is
// safe to retry, and stops at once after an authentication or configuration failure.
import { createHash } from "node:crypto";
import { ConnectionSettings, authorizationHeader } from "../settings";
import { DoveadmCommandNotAllowedError, DoveadmError, DoveadmNotFoundError, ErrorContext } from "./errors";
import { KeyedMutex, Semaphore } from "./limiter";
import { DEFAULT_RETRY_POLICY, Recovery, RetryPolicy, withRetry } from "./retry";
import { CommandInfo, ResponseRow, Transport } from "./transport";

/**
 * The doveadm commands this client sends, as `doveadm_allowed_commands` names them (the command-line
 * spelling, comma-separated in the setting). A server may allow exactly these.
 */
export const REQUIRED_DOVEADM_COMMANDS = [
    "mailbox create",
    "mailbox delete",
    "mailbox rename",
    "mailbox subscribe",
    "mailbox unsubscribe",
    "mailbox status",
    "mailbox list",
    "reload",
] as const;

/** The status fields the provider reads, in doveadm's names. */
export const STATUS_FIELDS = [
    "guid",
    "messages",
    "unseen",
    "uidvalidity",
    "uidnext",
    "highestmodseq",
    "vsize",
] as const;

/** One mailbox's status as numbers, from `mailboxStatus`. */
export interface MailboxStatus {
    /** The mailbox's full name. */
    name: string;
    /** The mailbox GUID (32 hex digits); it survives renames. */
    guid: string;
    /** Messages in the mailbox. */
    messages: number;
    /** Messages without the \Seen flag. */
    unseen: number;
    /** The IMAP UIDVALIDITY. */
    uidValidity: number;
    /** The next UID to be assigned. */
    uidNext: number;
    /** The highest modification sequence (CONDSTORE). */
    highestModSeq: number;
    /** The virtual size of all messages, in bytes. */
    vsize: number;
}

/** Hooks for observing the client (counting requests in benchmarks and tests). */
export interface ClientHooks {
    /** Called before every HTTP request with its command. */
    onRequest?: (command: string) => void;
    /** Called before every retry. */
    onRetry?: (error: DoveadmError, attempt: number, delayMs: number) => void;
}

interface Execution<T> {
    command: string;
    params: Record<string, unknown>;
    context: ErrorContext;
    idempotent: boolean;
    parse: (rows: ResponseRow[]) => T;
    recover?: () => Promise<Recovery<T>>;
}

/** Drops parameters that are undefined or false: on 2.3 a boolean sent as false counts as true. */
function params(values: Record<string, unknown>): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
        if (value === undefined || value === false || value === null) continue;
        result[key] = value;
    }
    return result;
}

function toNumber(value: string | undefined): number {
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
}

function toStatus(row: ResponseRow): MailboxStatus {
    return {
        name: row.mailbox ?? "",
        guid: row.guid ?? "",
        messages: toNumber(row.messages),
        unseen: toNumber(row.unseen),
        uidValidity: toNumber(row.uidvalidity),
        uidNext: toNumber(row.uidnext),
        highestModSeq: toNumber(row.highestmodseq),
        vsize: toNumber(row.vsize),
    };
}

/** The shared per-endpoint pieces: every client of one endpoint in this process uses the same limits. */
interface EndpointState {
    slots: Semaphore;
    users: KeyedMutex;
    /** The first authentication or configuration failure; later calls fail with it without sending anything. */
    fatal?: DoveadmError;
    /** Commands the server refused to run (not allowed, unknown); they fail again without being sent. */
    refused: Map<string, DoveadmError>;
}

const endpoints = new Map<string, EndpointState>();

function endpointState(url: string, maxConcurrency: number): EndpointState {
    let state = endpoints.get(url);
    if (!state) {
        state = { slots: new Semaphore(maxConcurrency), users: new KeyedMutex(), refused: new Map() };
        endpoints.set(url, state);
    }
    return state;
}

/** A client for one doveadm HTTP API endpoint. */
export class DoveadmClient {
    private readonly transport: Transport;
    private readonly state: EndpointState;
    private readonly policy: RetryPolicy;

    constructor(
        readonly settings: ConnectionSettings,
        private readonly hooks: ClientHooks = {},
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) {
        this.transport = new Transport({
            url: settings.endpoint,
            authorization: authorizationHeader(settings),
            timeoutMs: settings.timeoutMs,
            caCert: settings.caCert,
            insecureSkipVerify: settings.insecureSkipVerify,
        });
        // Limits are shared per endpoint and credential, so every resource in the provider process
        // queues behind the same slots.
        const key = `${settings.endpoint}#${createHash("sha256").update(authorizationHeader(settings)).digest("hex").slice(0, 16)}`;
        this.state = endpointState(key, settings.maxConcurrency);
        this.policy = policy;
    }

    /** The endpoint's origin, safe to show. */
    get origin(): string {
        return this.transport.origin;
    }

    /** Creates mailboxes. With `guid`, the (single) new mailbox gets that GUID. */
    async mailboxCreate(user: string, mailboxes: string[], options: { guid?: string } = {}): Promise<void> {
        await this.execute({
            command: "mailboxCreate",
            params: params({ user, mailbox: mailboxes, guid: options.guid }),
            context: { command: "mailboxCreate", user, mailbox: mailboxes },
            idempotent: false,
            parse: () => undefined,
            // Unknown outcome: the create took effect if the mailbox now exists with our GUID.
            recover:
                options.guid !== undefined && mailboxes.length === 1
                    ? async () => {
                          const found = await this.findStatus(user, mailboxes[0] ?? "");
                          return found?.guid === options.guid
                              ? { done: true, value: undefined }
                              : { done: false };
                      }
                    : undefined,
        });
    }

    /**
     * Deletes mailboxes. With `requireEmpty` the server refuses (exit 65) a mailbox that holds
     * messages; without it, messages are expunged. Never recursive.
     */
    async mailboxDelete(
        user: string,
        mailboxes: string[],
        options: { requireEmpty: boolean },
    ): Promise<void> {
        await this.execute({
            command: "mailboxDelete",
            params: params({ user, mailbox: mailboxes, requireEmpty: options.requireEmpty }),
            context: { command: "mailboxDelete", user, mailbox: mailboxes },
            idempotent: false,
            parse: () => undefined,
            // Unknown outcome: done if every mailbox is gone; otherwise send it again.
            recover: async () => {
                for (const name of mailboxes) if (await this.findStatus(user, name)) return { done: false };
                return { done: true, value: undefined };
            },
        });
    }

    /** Renames a mailbox (and its children). Subscriptions are left to the caller. */
    async mailboxRename(
        user: string,
        from: string,
        to: string,
        options: { guid?: string } = {},
    ): Promise<void> {
        await this.execute({
            command: "mailboxRename",
            params: params({ user, mailbox: from, newName: to }),
            context: { command: "mailboxRename", user, mailbox: [from, to] },
            idempotent: false,
            parse: () => undefined,
            // Unknown outcome: done if the new name now holds the mailbox and the old one is gone.
            recover: async () => {
                const target = await this.findStatus(user, to);
                const source = await this.findStatus(user, from);
                const moved =
                    target !== undefined && (options.guid === undefined || target.guid === options.guid);
                return moved && source === undefined ? { done: true, value: undefined } : { done: false };
            },
        });
    }

    /** Subscribes to mailboxes (they need not exist). Idempotent. */
    async mailboxSubscribe(user: string, mailboxes: string[]): Promise<void> {
        await this.execute({
            command: "mailboxSubscribe",
            params: params({ user, mailbox: mailboxes }),
            context: { command: "mailboxSubscribe", user, mailbox: mailboxes },
            idempotent: true,
            parse: () => undefined,
        });
    }

    /** Unsubscribes from mailboxes. Idempotent. */
    async mailboxUnsubscribe(user: string, mailboxes: string[]): Promise<void> {
        await this.execute({
            command: "mailboxUnsubscribe",
            params: params({ user, mailbox: mailboxes }),
            context: { command: "mailboxUnsubscribe", user, mailbox: mailboxes },
            idempotent: true,
            parse: () => undefined,
        });
    }

    /** Status of the mailboxes matching the masks (`*` and `%` are wildcards). Exit 68 if none match. */
    async mailboxStatus(user: string, masks: string[]): Promise<MailboxStatus[]> {
        return this.execute({
            command: "mailboxStatus",
            params: params({ user, field: [...STATUS_FIELDS], mailboxMask: masks }),
            context: { command: "mailboxStatus", user, mailbox: masks },
            idempotent: true,
            parse: (rows) => rows.map(toStatus),
        });
    }

    /** Status of one mailbox by exact name, or undefined when it does not exist. */
    async findStatus(user: string, name: string): Promise<MailboxStatus | undefined> {
        try {
            const rows = await this.mailboxStatus(user, [name]);
            return rows.find((row) => row.name === name);
        } catch (error) {
            if (error instanceof DoveadmNotFoundError) return undefined;
            throw error;
        }
    }

    /**
     * Status of every mailbox of a user. `mailboxStatus *` fails as a whole (exit 68) when any listed
     * name is not a mailbox (a parent left behind by a delete); then the listed names are asked in
     * halves, so the real mailboxes are still all found, in about 2·log2(n) extra requests per bad name.
     */
    async statusAll(user: string): Promise<MailboxStatus[]> {
        try {
            return await this.mailboxStatus(user, ["*"]);
        } catch (error) {
            if (!(error instanceof DoveadmNotFoundError)) throw error;
        }
        return this.statusOfNames(user, await this.mailboxList(user));
    }

    private async statusOfNames(user: string, names: string[]): Promise<MailboxStatus[]> {
        if (names.length === 0) return [];
        try {
            return await this.mailboxStatus(user, names);
        } catch (error) {
            if (!(error instanceof DoveadmNotFoundError)) throw error;
            if (names.length === 1) return [];
        }
        const middle = Math.floor(names.length / 2);
        const first = await this.statusOfNames(user, names.slice(0, middle));
        const second = await this.statusOfNames(user, names.slice(middle));
        return [...first, ...second];
    }

    /**
     * Names of a user's mailboxes (with `subscribed`, the subscription list instead, which may name
     * mailboxes that do not exist). Beware: an exact mask is echoed back even when nothing matches.
     */
    async mailboxList(
        user: string,
        options: { masks?: string[]; subscribed?: boolean } = {},
    ): Promise<string[]> {
        return this.execute({
            command: "mailboxList",
            params: params({ user, mailboxMask: options.masks, subscriptions: options.subscribed }),
            context: { command: "mailboxList", user, mailbox: options.masks },
            idempotent: true,
            parse: (rows) => rows.map((row) => row.mailbox ?? ""),
        });
    }

    /** Asks Dovecot to reload its configuration. It answers at once and reloads after. */
    async reload(): Promise<void> {
        await this.execute({
            command: "reload",
            params: {},
            context: { command: "reload" },
            idempotent: true,
            parse: () => undefined,
        });
    }

    /** The commands the server offers; also a cheap check that the API answers. */
    async commands(): Promise<CommandInfo[]> {
        return this.guarded("GET", undefined, () => {
            this.hooks.onRequest?.("GET");
            return this.transport.commands();
        });
    }

    /** Closes the client's connections. */
    async close(): Promise<void> {
        await this.transport.close();
    }

    private async execute<T>(execution: Execution<T>): Promise<T> {
        const user = execution.context.user;
        const once = () =>
            this.guarded(execution.command, user, async () => {
                this.hooks.onRequest?.(execution.command);
                const rows = await this.transport.send(
                    execution.command,
                    execution.params,
                    execution.context,
                );
                return execution.parse(rows);
            });
        return withRetry(once, {
            idempotent: execution.idempotent,
            recover: execution.recover,
            onRetry: this.hooks.onRetry,
            policy: this.policy,
        });
    }

    /** Runs one request inside the endpoint's slots and the user's lock, behind the fatal-error stop. */
    private async guarded<T>(command: string, user: string | undefined, send: () => Promise<T>): Promise<T> {
        const attempt = async () => {
            const known = this.state.fatal ?? this.state.refused.get(command);
            if (known) throw known;
            try {
                return await this.state.slots.run(send);
            } catch (error) {
                if (error instanceof DoveadmCommandNotAllowedError) this.state.refused.set(command, error);
                else if (error instanceof DoveadmError && error.fatal) this.state.fatal ??= error;
                throw error;
            }
        };
        return user === undefined ? attempt() : this.state.users.run(user, attempt);
    }
}

/** Forgets remembered fatal errors, for tests that fix the server and go on in one process. */
export function resetEndpointState(): void {
    endpoints.clear();
}
