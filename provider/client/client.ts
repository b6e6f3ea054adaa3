// A typed doveadm HTTP client: one method per command the provider needs. It sends one command per
// request (one documented exception: the two reads of a snapshot), at most `maxConcurrency` at once
// per endpoint and one operation at a time per user, merging queued operations of one user into the
// commands' array forms; it retries what is safe to retry, and stops at once after an authentication
// or configuration failure.
import { createHash } from "node:crypto";
import { ConnectionSettings, authorizationHeader } from "../settings";
import {
    DoveadmCommandNotAllowedError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
    ErrorContext,
    errorForExitCode,
} from "./errors";
import { Semaphore } from "./limiter";
import { Settleable, UserQueue } from "./queue";
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

/** What one request shows of a user: every mailbox's status and the subscription list. */
export interface UserSnapshot {
    /** The status of every mailbox of the user. */
    mailboxes: MailboxStatus[];
    /** The names the user is subscribed to (they need not exist). */
    subscriptions: string[];
    /** When the snapshot was asked for (ms since the epoch). */
    takenAt: number;
}

/** The shared per-endpoint pieces: every client of one endpoint in this process uses the same limits. */
interface EndpointState {
    slots: Semaphore;
    /** One queue per user. */
    users: Map<string, UserQueue>;
    /** The last snapshot asked for by a reader, per user (maybe still under way), dropped by any write. */
    snapshots: Map<string, { requestedAt: number; promise: Promise<UserSnapshot> }>;
    /** The first authentication or configuration failure; later calls fail with it without sending anything. */
    fatal?: DoveadmError;
    /** Commands the server refused to run (not allowed, unknown); they fail again without being sent. */
    refused: Map<string, DoveadmError>;
}

const endpoints = new Map<string, EndpointState>();

function endpointState(url: string, maxConcurrency: number): EndpointState {
    let state = endpoints.get(url);
    if (!state) {
        state = {
            slots: new Semaphore(maxConcurrency),
            users: new Map(),
            snapshots: new Map(),
            refused: new Map(),
        };
        endpoints.set(url, state);
    }
    return state;
}

/** Commands that change a user's mailboxes or subscriptions. */
const WRITE_COMMANDS = new Set([
    "mailboxCreate",
    "mailboxDelete",
    "mailboxRename",
    "mailboxSubscribe",
    "mailboxUnsubscribe",
]);

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

    // ---- One command each, run in the user's queue (never merged with others). ----

    /**
     * Creates mailboxes. With `guid`, the (single) new mailbox gets that GUID. Beware: Dovecot 2.3
     * writes the GUID into an existing mailbox of that name even while refusing to create it; the
     * provider uses createMailbox, which looks first.
     */
    async mailboxCreate(user: string, mailboxes: string[], options: { guid?: string } = {}): Promise<void> {
        await this.serial(user, true, () => this.sendCreate(user, mailboxes, options.guid));
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
        await this.serial(user, true, () => this.sendDelete(user, mailboxes, options.requireEmpty));
    }

    /** Renames a mailbox (and its children). Subscriptions are left to the caller. */
    async mailboxRename(
        user: string,
        from: string,
        to: string,
        options: { guid?: string } = {},
    ): Promise<void> {
        await this.serial(user, true, () =>
            this.execute({
                command: "mailboxRename",
                params: params({ user, mailbox: from, newName: to }),
                context: { command: "mailboxRename", user, mailbox: [from, to] },
                idempotent: false,
                parse: () => undefined,
                // Unknown outcome: done if the new name now holds the mailbox and the old one is gone.
                recover: async () => {
                    const found = await this.sendStatusOf(user, [to, from]);
                    const target = found.get(to);
                    const moved =
                        target !== undefined && (options.guid === undefined || target.guid === options.guid);
                    return moved && !found.has(from) ? { done: true, value: undefined } : { done: false };
                },
            }),
        );
    }

    /** Subscribes to mailboxes (they need not exist). Idempotent. */
    async mailboxSubscribe(user: string, mailboxes: string[]): Promise<void> {
        await this.serial(user, true, () => this.sendSubscription("mailboxSubscribe", user, mailboxes));
    }

    /** Unsubscribes from mailboxes. Idempotent. */
    async mailboxUnsubscribe(user: string, mailboxes: string[]): Promise<void> {
        await this.serial(user, true, () => this.sendSubscription("mailboxUnsubscribe", user, mailboxes));
    }

    /** Status of the mailboxes matching the masks (`*` and `%` are wildcards). Exit 68 if none match. */
    async mailboxStatus(user: string, masks: string[]): Promise<MailboxStatus[]> {
        return this.serial(user, false, () => this.sendStatus(user, masks));
    }

    /**
     * Names of a user's mailboxes (with `subscribed`, the subscription list instead, which may name
     * mailboxes that do not exist). Beware: an exact mask is echoed back even when nothing matches.
     */
    async mailboxList(
        user: string,
        options: { masks?: string[]; subscribed?: boolean } = {},
    ): Promise<string[]> {
        return this.serial(user, false, () => this.sendList(user, options.masks, options.subscribed));
    }

    /**
     * Status of every mailbox of a user. `mailboxStatus *` fails as a whole (exit 68) when any listed
     * name is not a mailbox (a parent left behind by a delete); then the listed names are asked in
     * halves, so the real mailboxes are still all found, in about 2·log2(n) extra requests per bad name.
     */
    async statusAll(user: string): Promise<MailboxStatus[]> {
        return this.serial(user, false, () => this.sendStatusAll(user));
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
        return this.guarded("GET", () => {
            this.hooks.onRequest?.("GET");
            return this.transport.commands();
        });
    }

    // ---- One mailbox each, merged with the user's other queued operations of the same kind. ----

    /** Status of one mailbox by exact name, or undefined when it is not a mailbox. */
    async findStatus(user: string, name: string): Promise<MailboxStatus | undefined> {
        return this.queue(user).enqueue(
            "status",
            name,
            async (batch: Array<Settleable<string, MailboxStatus | undefined>>) => {
                const found = await this.sendStatusOf(
                    user,
                    batch.map((op) => op.input),
                );
                for (const op of batch) op.resolve(found.get(op.input));
            },
            [name],
        );
    }

    /**
     * Creates one mailbox; fails with a DoveadmConflictError (exit 65) if it already exists. Queued
     * creates of one user go out as one `mailboxCreate` of all their names.
     */
    async createMailbox(user: string, name: string): Promise<void> {
        this.state.snapshots.delete(user);
        return this.queue(user).enqueue(
            "create",
            name,
            (batch: Array<Settleable<string, void>>) => this.runCreates(user, batch),
            [name],
        );
    }

    /** Deletes one mailbox (see mailboxDelete); merged with the user's other queued deletes alike. */
    async deleteMailbox(user: string, name: string, options: { requireEmpty: boolean }): Promise<void> {
        this.state.snapshots.delete(user);
        const kind = options.requireEmpty ? "delete-empty" : "delete-force";
        return this.queue(user).enqueue(
            kind,
            name,
            (batch: Array<Settleable<string, void>>) => this.runDeletes(user, batch, options.requireEmpty),
            [name],
        );
    }

    /** Subscribes (or unsubscribes) one name; merged with the user's other queued ones alike. */
    async setSubscribed(user: string, name: string, subscribed: boolean): Promise<void> {
        this.state.snapshots.delete(user);
        const command = subscribed ? "mailboxSubscribe" : "mailboxUnsubscribe";
        return this.queue(user).enqueue(
            command,
            name,
            async (batch: Array<Settleable<string, void>>) => {
                const names = [...new Set(batch.map((op) => op.input))];
                try {
                    await this.sendSubscription(command, user, names);
                    for (const op of batch) op.resolve();
                } catch (error) {
                    if (names.length === 1 || (error instanceof DoveadmError && error.fatal)) throw error;
                    // Learn which name failed: one at a time.
                    for (const op of batch) {
                        await this.sendSubscription(command, user, [op.input]).then(
                            () => op.resolve(),
                            op.reject,
                        );
                    }
                }
            },
            [name],
        );
    }

    /**
     * Every mailbox's status and the subscription list of a user, in one request. A snapshot taken in
     * the last `maxAgeMs` is reused unless a write for the user went through this client since.
     * Meant for refresh, where the provider reads many mailboxes of one user at once.
     */
    async snapshot(user: string, maxAgeMs = 10_000): Promise<UserSnapshot> {
        const cached = this.state.snapshots.get(user);
        // Readers share a snapshot asked for within maxAgeMs, even one still under way.
        if (cached && maxAgeMs > 0 && Date.now() - cached.requestedAt <= maxAgeMs) return cached.promise;
        const promise = this.queue(user).enqueue(
            maxAgeMs > 0 ? "snapshot" : "snapshot-fresh",
            user,
            async (batch: Array<Settleable<string, UserSnapshot>>) => {
                const fresh = await this.sendSnapshot(user);
                for (const op of batch) op.resolve(fresh);
            },
        );
        if (maxAgeMs > 0) {
            const entry = { requestedAt: Date.now(), promise };
            this.state.snapshots.set(user, entry);
            promise.catch(() => {
                if (this.state.snapshots.get(user) === entry) this.state.snapshots.delete(user);
            });
        }
        return promise;
    }

    /** Closes the client's connections. */
    async close(): Promise<void> {
        await this.transport.close();
    }

    // ---- Batch runners. ----

    private async runCreates(user: string, batch: Array<Settleable<string, void>>): Promise<void> {
        const names = [...new Set(batch.map((op) => op.input))];
        const settle = (name: string, error?: unknown) => settleByName(batch, name, error);
        if (names.length === 1) {
            // Alone, the answer tells (65: it existed), and no GUID is sent, so nothing is rewritten.
            const name = names[0] as string;
            return this.sendCreate(user, [name]).then(
                () => settle(name),
                (error) => settle(name, error),
            );
        }
        // Look first: a multi-name create goes on past a name that fails, so to report each name's own
        // outcome existing names are never sent (and a lost answer is read as: what exists now and
        // did not before was created).
        const before = await this.sendStatusOf(user, names);
        const wanted = names.filter((name) => {
            if (!before.has(name)) return true;
            settle(name, errorForExitCode(65, { command: "mailboxCreate", user, mailbox: name }));
            return false;
        });
        if (wanted.length === 0) return;
        try {
            await this.sendCreate(user, wanted);
            for (const name of wanted) settle(name);
        } catch (error) {
            if (wanted.length === 1 || (error instanceof DoveadmError && error.fatal)) throw error;
            // Whatever exists now (and did not before) was created by this command; the rest are
            // created one at a time, so each gets its own error.
            const after = await this.sendStatusOf(user, wanted);
            for (const name of wanted) {
                if (after.has(name)) settle(name);
                else
                    await this.sendCreate(user, [name]).then(
                        () => settle(name),
                        (e) => settle(name, e),
                    );
            }
        }
    }

    private async runDeletes(
        user: string,
        batch: Array<Settleable<string, void>>,
        requireEmpty: boolean,
    ): Promise<void> {
        const names = [...new Set(batch.map((op) => op.input))];
        const settle = (name: string, error?: unknown) => settleByName(batch, name, error);
        try {
            await this.sendDelete(user, names, requireEmpty);
            for (const name of names) settle(name);
        } catch (error) {
            if (names.length === 1 || (error instanceof DoveadmError && error.fatal)) throw error;
            // A multi-name delete goes on past a name that fails: learn which are gone, then delete
            // the rest one at a time so each gets its own error.
            const after = await this.sendStatusOf(user, names);
            for (const name of names) {
                if (!after.has(name)) settle(name);
                else
                    await this.sendDelete(user, [name], requireEmpty).then(
                        () => settle(name),
                        (e) => settle(name, e),
                    );
            }
        }
    }

    // ---- Single requests, outside the user queue (the callers hold the user's turn). ----

    /**
     * Creates mailboxes the caller believes absent: after a lost answer, a mailbox that exists (with
     * `guid`, if given) is taken as created, so a lost answer never turns into a false "already exists".
     */
    private sendCreate(user: string, mailboxes: string[], guid?: string): Promise<void> {
        return this.execute({
            command: "mailboxCreate",
            params: params({ user, mailbox: mailboxes, guid }),
            context: { command: "mailboxCreate", user, mailbox: mailboxes },
            idempotent: false,
            parse: () => undefined,
            recover: async () => {
                const found = await this.sendStatusOf(user, mailboxes);
                const done = mailboxes.every(
                    (name) => found.has(name) && (guid === undefined || found.get(name)?.guid === guid),
                );
                return done ? { done: true, value: undefined } : { done: false };
            },
        });
    }

    private sendDelete(user: string, mailboxes: string[], requireEmpty: boolean): Promise<void> {
        return this.execute({
            command: "mailboxDelete",
            params: params({ user, mailbox: mailboxes, requireEmpty }),
            context: { command: "mailboxDelete", user, mailbox: mailboxes },
            idempotent: false,
            parse: () => undefined,
            // Unknown outcome: done if every mailbox is gone; otherwise send it again.
            recover: async () => {
                const left = await this.sendStatusOf(user, mailboxes);
                return left.size === 0 ? { done: true, value: undefined } : { done: false };
            },
        });
    }

    private sendSubscription(
        command: "mailboxSubscribe" | "mailboxUnsubscribe",
        user: string,
        mailboxes: string[],
    ) {
        return this.execute({
            command,
            params: params({ user, mailbox: mailboxes }),
            context: { command, user, mailbox: mailboxes },
            idempotent: true,
            parse: () => undefined,
        });
    }

    private sendStatus(user: string, masks: string[]): Promise<MailboxStatus[]> {
        return this.execute({
            command: "mailboxStatus",
            params: params({ user, field: [...STATUS_FIELDS], mailboxMask: masks }),
            context: { command: "mailboxStatus", user, mailbox: masks },
            idempotent: true,
            parse: (rows) => rows.map(toStatus),
        });
    }

    private sendList(user: string, masks?: string[], subscribed?: boolean): Promise<string[]> {
        return this.execute({
            command: "mailboxList",
            params: params({ user, mailboxMask: masks, subscriptions: subscribed }),
            context: { command: "mailboxList", user, mailbox: masks },
            idempotent: true,
            parse: (rows) => rows.map((row) => row.mailbox ?? ""),
        });
    }

    /** Status of the given exact names, by name; names that are not mailboxes are absent. */
    private async sendStatusOf(user: string, names: string[]): Promise<Map<string, MailboxStatus>> {
        const wanted = new Set(names);
        const found = new Map<string, MailboxStatus>();
        for (const status of await this.statusOfNames(user, [...wanted])) {
            if (wanted.has(status.name)) found.set(status.name, status);
        }
        return found;
    }

    private async sendStatusAll(user: string): Promise<MailboxStatus[]> {
        try {
            return await this.sendStatus(user, ["*"]);
        } catch (error) {
            if (!(error instanceof DoveadmNotFoundError)) throw error;
        }
        return this.statusOfNames(user, await this.sendList(user));
    }

    private async statusOfNames(user: string, names: string[]): Promise<MailboxStatus[]> {
        if (names.length === 0) return [];
        try {
            return await this.sendStatus(user, names);
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
     * `mailboxStatus *` and the subscription list in one request: the only place where this client
     * sends two commands in one payload. Both are reads, so their order does not matter; if the
     * request fails they are sent again one per request.
     */
    private async sendSnapshot(user: string): Promise<UserSnapshot> {
        const takenAt = Date.now();
        const context = { command: "mailboxStatus+mailboxList", user };
        try {
            const [status, list] = await this.guarded("mailboxStatus", () => {
                this.hooks.onRequest?.("mailboxStatus+mailboxList");
                return this.transport.sendMany(
                    [
                        {
                            command: "mailboxStatus",
                            params: params({ user, field: [...STATUS_FIELDS], mailboxMask: ["*"] }),
                        },
                        { command: "mailboxList", params: params({ user, subscriptions: true }) },
                    ],
                    context,
                );
            });
            if (status && list && !(status instanceof Error) && !(list instanceof Error)) {
                return {
                    mailboxes: status.map(toStatus),
                    subscriptions: list.map((row) => row.mailbox ?? ""),
                    takenAt,
                };
            }
            const failed = [status, list].find((r) => r instanceof DoveadmError);
            if (failed instanceof DoveadmError && !(failed instanceof DoveadmNotFoundError)) throw failed;
        } catch (error) {
            if (!(error instanceof DoveadmError) || error.fatal || error instanceof DoveadmNoUserError)
                throw error;
        }
        const mailboxes = await this.sendStatusAll(user);
        const subscriptions = await this.sendList(user, undefined, true);
        return { mailboxes, subscriptions, takenAt };
    }

    // ---- Plumbing. ----

    private queue(user: string): UserQueue {
        let queue = this.state.users.get(user);
        if (!queue) {
            queue = new UserQueue();
            this.state.users.set(user, queue);
        }
        return queue;
    }

    /** Runs `send` in the user's queue, alone; a write drops the user's snapshot. */
    private serial<T>(user: string, write: boolean, send: () => Promise<T>): Promise<T> {
        if (write) this.state.snapshots.delete(user);
        return this.queue(user).enqueue(
            "serial",
            send,
            async (batch: Array<Settleable<() => Promise<T>, T>>) => {
                for (const op of batch) await op.input().then(op.resolve, op.reject);
            },
        );
    }

    private async execute<T>(execution: Execution<T>): Promise<T> {
        const user = execution.context.user;
        // A write makes the user's snapshot stale, whatever its outcome.
        if (user !== undefined && WRITE_COMMANDS.has(execution.command)) this.state.snapshots.delete(user);
        const once = () =>
            this.guarded(
                execution.command,
                async () => {
                    this.hooks.onRequest?.(execution.command);
                    const rows = await this.transport.send(
                        execution.command,
                        execution.params,
                        execution.context,
                    );
                    return execution.parse(rows);
                },
                execution.context,
            );
        try {
            return await withRetry(once, {
                idempotent: execution.idempotent,
                recover: execution.recover,
                onRetry: this.hooks.onRetry,
                policy: this.policy,
            });
        } finally {
            if (user !== undefined && WRITE_COMMANDS.has(execution.command))
                this.state.snapshots.delete(user);
        }
    }

    /** Runs one request inside the endpoint's slots, behind the fatal-error stop. */
    private async guarded<T>(command: string, send: () => Promise<T>, context?: ErrorContext): Promise<T> {
        const stopped = () => {
            const known = this.state.fatal ?? this.state.refused.get(command);
            if (known) throw context ? known.withContext(context) : known;
        };
        stopped();
        // Look again once a slot is free, and remember a fatal failure before the slot is handed on:
        // a request that waited for a slot must not go out after another one learned that every
        // request is bound to fail.
        return this.state.slots.run(async () => {
            stopped();
            try {
                return await send();
            } catch (error) {
                if (error instanceof DoveadmCommandNotAllowedError) this.state.refused.set(command, error);
                else if (error instanceof DoveadmError && error.fatal) this.state.fatal ??= error;
                throw error;
            }
        });
    }
}

/** Settles every operation of a batch that is about `name`: with success, or with `error`. */
function settleByName(batch: Array<Settleable<string, void>>, name: string, error?: unknown): void {
    for (const op of batch) {
        if (op.input !== name) continue;
        if (error === undefined) op.resolve();
        else op.reject(error);
    }
}

/** Forgets remembered fatal errors, for tests that fix the server and go on in one process. */
export function resetEndpointState(): void {
    endpoints.clear();
}
