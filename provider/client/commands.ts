// Typed doveadm commands: one function per command the provider sends. Each shapes its parameters
// (never a `false` or `null`: Dovecot 2.3 reads `false` as true, and `null` kills the request), says
// how a lost answer is verified, and parses the answer's rows with zod, since a server's answer is
// input like any other. No state: what to send when is decided one layer up (scheduler.ts), how to
// send it one layer down (transport.ts).
import { z } from "zod";
import {
    DoveadmError,
    DoveadmNotFoundError,
    DoveadmProtocolError,
    DoveadmUsageError,
    ErrorContext,
} from "./errors";
import { canonicalName, userProblem } from "../names";
import { tell } from "./events";
import { CommandInfo, Request, ResponseRow, Transport } from "./transport";

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
    "process status",
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
    /** The mailbox's full name (its INBOX level spelled `INBOX`). */
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

/** What one request shows of a user: every mailbox's status and the subscription list. */
export interface UserSnapshot {
    /** The status of every mailbox of the user. */
    mailboxes: MailboxStatus[];
    /** The names the user is subscribed to (they need not exist). */
    subscriptions: string[];
    /** When the snapshot was asked for (ms since the epoch). */
    takenAt: number;
}

/** Where commands go: the transport of one endpoint, and its namespace's hierarchy separator. */
export interface CommandTarget {
    transport: Transport;
    separator: string;
}

const count = z
    .string()
    .regex(/^\d{1,20}$/, "must be a number")
    .transform(Number);
const statusRowSchema = z.object({
    mailbox: z.string().min(1, "must not be empty"),
    guid: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 hexadecimal digits"),
    messages: count,
    unseen: count,
    uidvalidity: count,
    uidnext: count,
    highestmodseq: count,
    vsize: count,
});
const listRowSchema = z.object({ mailbox: z.string().min(1, "must not be empty") });

/** Drops parameters that are undefined, false or null (see the top of this file). */
export function params(values: Record<string, unknown>): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
        if (value === undefined || value === false || value === null) continue;
        result[key] = value;
    }
    return result;
}

/** Parses each row with `schema`, or fails with an error naming the command and the bad field. */
export function parseRows<T>(rows: ResponseRow[], schema: z.ZodType<T>, context: ErrorContext): T[] {
    return rows.map((row) => {
        const result = schema.safeParse(row);
        if (result.success) return result.data;
        const issue = result.error.issues[0];
        throw new DoveadmProtocolError(
            "DOVEADM_BAD_RESPONSE",
            context,
            `the server's answer has a malformed row (${issue?.path.join(".") || "row"} ${issue?.message ?? "is invalid"})`,
            "Check that dovecot:endpoint points at a Dovecot 2.3 or 2.4 doveadm HTTP listener; if it does, report this with the server's version.",
        );
    });
}

/**
 * Refuses a user name that doveadm would read as a pattern (`*`, `?`) or that is no name at all. The
 * handlers check every user before it gets here; this is the last line before the wire, since doveadm
 * runs a mail command for every user its `user` matches.
 */
export function checkUser(user: string, context: ErrorContext): void {
    const problem = typeof user === "string" ? userProblem(user) : "must be a string";
    if (problem) {
        throw new DoveadmUsageError(
            "DOVEADM_INVALID_USER",
            { ...context, user: String(user) },
            `the user name ${problem}; nothing was sent`,
            "Correct the user name in the program, or in the state if it came from there (pulumi stack export, edit, pulumi stack import).",
        );
    }
}

function statusOf(target: CommandTarget, user: string, masks: string[]): Request<MailboxStatus[]> {
    const context = { command: "mailboxStatus", user, mailbox: masks };
    return {
        command: "mailboxStatus",
        params: params({ user, field: [...STATUS_FIELDS], mailboxMask: masks }),
        context,
        write: false,
        repeatable: true,
        parse: (rows) =>
            parseRows(rows, statusRowSchema, context).map((row) => ({
                name: canonicalName(row.mailbox, target.separator),
                guid: row.guid,
                messages: row.messages,
                unseen: row.unseen,
                uidValidity: row.uidvalidity,
                uidNext: row.uidnext,
                highestModSeq: row.highestmodseq,
                vsize: row.vsize,
            })),
    };
}

/** A read that says whether `name` is a mailbox now (with `guid`, if given). */
function exists(target: CommandTarget, user: string, name: string, guid?: string): Request<boolean> {
    const status = statusOf(target, user, [name]);
    return {
        ...status,
        parse: (rows) => status.parse(rows).some((s) => guid === undefined || s.guid === guid),
        absent: { value: false },
        recovered: undefined,
    };
}

/** A read that says whether `name` is no mailbox now. */
function gone(target: CommandTarget, user: string, name: string): Request<boolean> {
    return {
        ...statusOf(target, user, [name]),
        parse: () => false,
        absent: { value: true },
        recovered: undefined,
    };
}

/**
 * What a create's answer says: `created` (the server answered success), or `unconfirmed` (the answer
 * was lost, and reading the server back found the name taken: by this create, or by another writer at
 * the same moment, which nothing can tell apart without a GUID).
 */
export type CreateOutcome = "created" | "unconfirmed";

/**
 * The request that creates mailboxes; with `guid`, the (single) new mailbox gets that GUID. Beware:
 * on Dovecot 2.3 a create with a `guid` for a name that already exists is refused (65) but still
 * writes that GUID into the existing mailbox (see Scheduler.runCreates for how that is avoided).
 */
export function createRequest(
    target: CommandTarget,
    user: string,
    names: string[],
    guid?: string,
): Request<CreateOutcome> {
    return {
        command: "mailboxCreate",
        params: params({ user, mailbox: names, guid }),
        context: { command: "mailboxCreate", user, mailbox: names },
        write: true,
        repeatable: false,
        parse: () => "created",
        verify: names.map((name) => exists(target, user, name, guid)),
        // With a GUID the reads found exactly this create's mailbox; without one, only the name.
        recovered: () => (guid === undefined ? "unconfirmed" : "created"),
    };
}

/** Creates mailboxes (see createRequest about `guid`). Exit 65 if one exists. */
export async function mailboxCreate(
    target: CommandTarget,
    user: string,
    names: string[],
    options: { guid?: string } = {},
): Promise<void> {
    const request = createRequest(target, user, names, options.guid);
    checkUser(user, request.context);
    await target.transport.run(request);
}

/** The Dovecot versions whose differences the provider handles. */
export type DovecotVersion = "2.3" | "2.4";

/** What the provider needs to know of a server beyond the commands every version shares. */
export interface ServerProfile {
    /**
     * The server's Dovecot version: "2.4" when its `mailboxCreate` takes `noUserdbLookup` (new in 2.4),
     * else "2.3". It decides the limits of what the server accepts.
     */
    version: DovecotVersion;
}

/** The server's profile, read from its command list (`GET /doveadm/v1`). */
export async function serverProfile(target: CommandTarget): Promise<ServerProfile> {
    const commands = await target.transport.commands();
    const create = commands.find((c) => c.command === "mailboxCreate");
    const v24 = create?.parameters.some((p) => p.name === "noUserdbLookup") ?? false;
    return { version: v24 ? "2.4" : "2.3" };
}

/**
 * The request that deletes mailboxes. With `requireEmpty` the server refuses (exit 65) a mailbox that
 * holds messages; without it, messages are expunged. Never recursive.
 */
export function deleteRequest(
    target: CommandTarget,
    user: string,
    names: string[],
    requireEmpty: boolean,
): Request<void> {
    return {
        command: "mailboxDelete",
        params: params({ user, mailbox: names, requireEmpty }),
        context: { command: "mailboxDelete", user, mailbox: names },
        write: true,
        repeatable: false,
        parse: () => undefined,
        verify: names.map((name) => gone(target, user, name)),
    };
}

/** Deletes mailboxes (see deleteRequest). */
export async function mailboxDelete(
    target: CommandTarget,
    user: string,
    names: string[],
    options: { requireEmpty: boolean },
): Promise<void> {
    const request = deleteRequest(target, user, names, options.requireEmpty);
    checkUser(user, request.context);
    await target.transport.run(request);
}

/**
 * The request that renames a mailbox and its children (subscriptions are left to the caller); with
 * `guid`, a lost answer is verified against the GUID under the new name.
 */
export function renameRequest(
    target: CommandTarget,
    user: string,
    from: string,
    to: string,
    guid?: string,
): Request<void> {
    return {
        command: "mailboxRename",
        params: params({ user, mailbox: from, newName: to }),
        context: { command: "mailboxRename", user, mailbox: [from, to] },
        write: true,
        repeatable: false,
        parse: () => undefined,
        // Done when the new name holds the mailbox and the old one is gone.
        verify: [exists(target, user, to, guid), gone(target, user, from)],
    };
}

/** Renames a mailbox and its children. Subscriptions are left to the caller. */
export async function mailboxRename(
    target: CommandTarget,
    user: string,
    from: string,
    to: string,
    options: { guid?: string } = {},
): Promise<void> {
    const request = renameRequest(target, user, from, to, options.guid);
    checkUser(user, request.context);
    await target.transport.run(request);
}

/** The request that subscribes to (or unsubscribes from) mailboxes, which need not exist. Repeatable. */
export function subscriptionRequest(user: string, names: string[], subscribed: boolean): Request<void> {
    const command = subscribed ? "mailboxSubscribe" : "mailboxUnsubscribe";
    return {
        command,
        params: params({ user, mailbox: names }),
        context: { command, user, mailbox: names },
        write: true,
        repeatable: true,
        parse: () => undefined,
    };
}

/** Subscribes to (or unsubscribes from) mailboxes, which need not exist. Sending it twice is harmless. */
export async function mailboxSubscription(
    target: CommandTarget,
    user: string,
    names: string[],
    subscribed: boolean,
): Promise<void> {
    const request = subscriptionRequest(user, names, subscribed);
    checkUser(user, request.context);
    await target.transport.run(request);
}

/**
 * The request for the status of exact names, none of which need exist: names that are not mailboxes
 * are left out of the answer (and one missing name alone, 68, gives an empty answer).
 */
export function statusOfNamesRequest(
    target: CommandTarget,
    user: string,
    names: string[],
): Request<MailboxStatus[]> {
    const wanted = new Set(names);
    const status = statusOf(target, user, names);
    return {
        ...status,
        parse: (rows) => status.parse(rows).filter((s) => wanted.has(s.name)),
        absent: { value: [] },
    };
}

/**
 * Sends the commands of one user in one request; returns each one's result or error, in order (see
 * Transport.runMany).
 */
export function runBatch(
    target: CommandTarget,
    user: string,
    requests: ReadonlyArray<Request<unknown>>,
): Promise<unknown[]> {
    const context = { command: [...new Set(requests.map((r) => r.command))].join("+"), user };
    checkUser(user, context);
    return target.transport.runMany(requests, context);
}

/**
 * Gives a mailbox a new GUID (`mailboxUpdate`). Used only to give a mailbox a create has just made the
 * GUID it was made for, when a client that opened it half-made gave it one of its own (see
 * Scheduler.runCreates); not in REQUIRED_DOVEADM_COMMANDS, since a server that refuses it only leaves
 * that mailbox with the server's GUID, which the resource then records.
 */
export async function mailboxUpdateGuid(
    target: CommandTarget,
    user: string,
    name: string,
    guid: string,
): Promise<void> {
    const context = { command: "mailboxUpdate", user, mailbox: name };
    checkUser(user, context);
    await target.transport.run({
        command: "mailboxUpdate",
        params: params({ user, mailbox: name, mailboxGuid: guid }),
        context,
        write: true,
        repeatable: true,
        parse: () => undefined,
    });
}

/** Status of the mailboxes matching the masks (`*` and `%` are wildcards). Exit 68 if none match. */
export async function mailboxStatus(
    target: CommandTarget,
    user: string,
    masks: string[],
): Promise<MailboxStatus[]> {
    const request = statusOf(target, user, masks);
    checkUser(user, request.context);
    return target.transport.run(request);
}

function listOf(
    target: CommandTarget,
    user: string,
    options: { masks?: string[]; subscribed?: boolean },
): Request<string[]> {
    const context = { command: "mailboxList", user, mailbox: options.masks };
    return {
        command: "mailboxList",
        params: params({ user, mailboxMask: options.masks, subscriptions: options.subscribed }),
        context,
        write: false,
        repeatable: true,
        parse: (rows) =>
            parseRows(rows, listRowSchema, context).map((row) =>
                canonicalName(row.mailbox, target.separator),
            ),
    };
}

/**
 * Names of a user's mailboxes (with `subscribed`, the subscription list instead, which may name
 * mailboxes that do not exist). Beware: an exact mask is echoed back even when nothing matches.
 */
export async function mailboxList(
    target: CommandTarget,
    user: string,
    options: { masks?: string[]; subscribed?: boolean } = {},
): Promise<string[]> {
    const request = listOf(target, user, options);
    checkUser(user, request.context);
    return target.transport.run(request);
}

/**
 * Status of the given exact names, by name; names that are not mailboxes are absent. Several names
 * in one `mailboxStatus` fail as a whole (68) when one is not a mailbox; then they are asked in
 * halves, about 2·log2(n) extra requests per missing name.
 */
export async function statusOfNames(
    target: CommandTarget,
    user: string,
    names: string[],
): Promise<Map<string, MailboxStatus>> {
    const wanted = new Set(names);
    const found = new Map<string, MailboxStatus>();
    for (const status of await statusInHalves(target, user, [...wanted])) {
        if (wanted.has(status.name)) found.set(status.name, status);
    }
    // A user whose mail folder was never opened has an INBOX that only a lookup by that one name
    // shows (it opens it); asked together with other names, it is left out. Every user has INBOX.
    if (wanted.has("INBOX") && !found.has("INBOX") && wanted.size > 1) {
        for (const status of await statusInHalves(target, user, ["INBOX"])) found.set(status.name, status);
    }
    return found;
}

async function statusInHalves(
    target: CommandTarget,
    user: string,
    names: string[],
): Promise<MailboxStatus[]> {
    if (names.length === 0) return [];
    try {
        return await mailboxStatus(target, user, names);
    } catch (error) {
        if (!(error instanceof DoveadmNotFoundError)) throw error;
        if (names.length === 1) return [];
        tell("split", target.transport, () => ({ error, way: "halves", commands: 1 }));
    }
    const middle = Math.floor(names.length / 2);
    const first = await statusInHalves(target, user, names.slice(0, middle));
    const second = await statusInHalves(target, user, names.slice(middle));
    return [...first, ...second];
}

/**
 * Status of every mailbox of a user. `mailboxStatus *` fails as a whole (68) when a listed name is
 * not a mailbox (a parent left behind by a delete); then the listed names are asked in halves.
 */
export async function statusAll(target: CommandTarget, user: string): Promise<MailboxStatus[]> {
    let all: MailboxStatus[] | undefined;
    try {
        all = await mailboxStatus(target, user, ["*"]);
    } catch (error) {
        if (!(error instanceof DoveadmNotFoundError)) throw error;
    }
    all ??= [...(await statusOfNames(target, user, await mailboxList(target, user))).values()];
    return withInbox(target, user, all);
}

/**
 * Every user has INBOX, so a full listing without it is not to be trusted: an empty answer must never
 * make every mailbox look deleted. One case is real: a user whose mail folder was never opened gets
 * an empty `*` until INBOX is first asked for by name (which makes it). So ask for INBOX by name, and
 * if that shows it, list again; a listing that still lacks it is refused.
 */
async function withInbox(
    target: CommandTarget,
    user: string,
    all: MailboxStatus[],
): Promise<MailboxStatus[]> {
    if (all.some((m) => m.name === "INBOX")) return all;
    const inbox = await mailboxStatus(target, user, ["INBOX"]).catch((error: unknown) => {
        if (error instanceof DoveadmNotFoundError) return [];
        throw error;
    });
    const again = inbox.some((m) => m.name === "INBOX") ? await mailboxStatus(target, user, ["*"]) : [];
    if (!again.some((m) => m.name === "INBOX")) {
        throw new DoveadmProtocolError(
            "DOVEADM_EMPTY_STATUS",
            { command: "mailboxStatus", user, mailbox: "*" },
            "the server's list of the user's mailboxes lacks INBOX, which every Dovecot user has",
            "Nothing is taken as deleted on the strength of this answer. Check that dovecot:endpoint points at the doveadm HTTP listener itself (not a proxy or cache), and the server's log.",
        );
    }
    return again;
}

/**
 * Every mailbox's status and the subscription list of a user, in one request. If it fails, they are
 * sent again one per request.
 */
export async function userSnapshot(target: CommandTarget, user: string): Promise<UserSnapshot> {
    const takenAt = Date.now();
    const status = statusOf(target, user, ["*"]);
    checkUser(user, status.context);
    try {
        const [mailboxes, subscriptions] = (await target.transport.runMany(
            [status, listOf(target, user, { subscribed: true })],
            { ...status.context, command: "mailboxStatus+mailboxList" },
        )) as [MailboxStatus[] | DoveadmError, string[] | DoveadmError];
        if (!(mailboxes instanceof DoveadmError) && !(subscriptions instanceof DoveadmError)) {
            return { mailboxes: await withInbox(target, user, mailboxes), subscriptions, takenAt };
        }
        const failed = [mailboxes, subscriptions].find((r) => r instanceof DoveadmError);
        if (failed instanceof DoveadmError && !(failed instanceof DoveadmNotFoundError)) throw failed;
    } catch (error) {
        // Sent again one per request below, unless every request is bound to fail the same way.
        if (!(error instanceof DoveadmError) || error.fatal || error.exitCode === 67) throw error;
        if (error.code === "DOVEADM_EMPTY_STATUS") throw error;
    }
    const mailboxes = await statusAll(target, user);
    const subscriptions = await mailboxList(target, user, { subscribed: true });
    return { mailboxes, subscriptions, takenAt };
}

const processRow = z.object({ pid: z.string().regex(/^\d{1,10}$/, "must be a process id") });

/**
 * The process ids of Dovecot's config process(es): a reload that loads the new configuration replaces
 * them, and one that fails (the file does not parse) leaves them, on 2.3 and 2.4 alike.
 */
export async function configProcesses(target: CommandTarget): Promise<string[]> {
    const context = { command: "processStatus" };
    return target.transport.run({
        command: "processStatus",
        params: { service: ["config"] },
        context,
        write: false,
        repeatable: true,
        parse: (rows) => parseRows(rows, processRow, context).map((row) => row.pid),
    });
}

const logRow = z.object({ prefix: z.string(), type: z.string(), text: z.string() });

/** One of the server's recent errors and warnings (`doveadm log errors`). */
export interface ServerLogLine {
    /** Who logged it: `master: `, `doveadm(alice@example.org)<pid>...: `. */
    prefix: string;
    /** `Error`, `Warning`, `Fatal`, `Panic`. */
    type: string;
    /** The message. */
    text: string;
}

/** The server's recent errors and warnings, oldest first (Dovecot 2.4 has the master's among them, 2.3 not). */
export async function logErrors(target: CommandTarget): Promise<ServerLogLine[]> {
    const context = { command: "logErrors" };
    return target.transport.run({
        command: "logErrors",
        params: {},
        context,
        write: false,
        repeatable: true,
        parse: (rows) => parseRows(rows, logRow, context),
    });
}

/** Asks Dovecot to reload its configuration. It answers at once and reloads after. */
export async function reload(target: CommandTarget): Promise<void> {
    await target.transport.run({
        command: "reload",
        params: {},
        context: { command: "reload" },
        write: true,
        repeatable: true,
        parse: () => undefined,
    });
}

/** The commands the server offers; also a cheap check that the API answers. */
export function listCommands(target: CommandTarget): Promise<CommandInfo[]> {
    return target.transport.commands();
}
