// Per-user scheduling: Dovecot locks a user's mail while a command runs, so one operation per user
// runs at a time (queue.ts), and the operations that queue up meanwhile go out together: a user's
// creates, or deletes, as one request holding one command per mailbox (each fails alone, so every
// failure is pinned on exactly its mailbox); status reads and subscriptions in the array forms of the
// commands. Creates and deletes first look at a snapshot of the user that serves them for a few
// seconds and is kept up to date with this client's own writes; readers share a snapshot of their
// own, which other writes drop. It is given plain data (a user, a name) and returns plain results;
// it sends through commands.ts only.
import {
    DoveadmCommandNotAllowedError,
    DoveadmConflictError,
    DoveadmError,
    DoveadmNotFoundError,
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
    outcomeUnknown,
} from "./errors";
import {
    CommandTarget,
    MailboxStatus,
    UserSnapshot,
    createRequest,
    deleteRequest,
    mailboxCreate,
    mailboxDelete,
    mailboxList,
    mailboxRename,
    mailboxStatus,
    mailboxSubscription,
    mailboxUpdateGuid,
    renameRequest,
    serverProfile,
    ServerProfile,
    statusAll,
    runBatch,
    statusOfNames,
    statusOfNamesRequest,
    subscriptionRequest,
    userSnapshot,
} from "./commands";
import { MAX_MAILBOX_NAME_BYTES, modifiedUtf7Length } from "../names";
import { tell } from "./events";
import { backoffDelay, gaveUp } from "./retry";
import { Request } from "./transport";
import { Settleable, UserQueue } from "./queue";

/** A command run alone in its user's turn, exactly as given (the raw commands of the client). */
export type ExclusiveCommand =
    | { command: "mailboxCreate"; names: string[]; guid?: string }
    | { command: "mailboxDelete"; names: string[]; requireEmpty: boolean }
    | { command: "mailboxRename"; from: string; to: string; guid?: string }
    | { command: "mailboxSubscribe" | "mailboxUnsubscribe"; names: string[] }
    | { command: "mailboxStatus"; masks: string[] }
    | { command: "mailboxList"; masks?: string[]; subscribed?: boolean }
    | { command: "statusAll" };

/** What an exclusive command returns. */
export type ExclusiveResult<C extends ExclusiveCommand> = C extends { command: "mailboxStatus" | "statusAll" }
    ? MailboxStatus[]
    : C extends { command: "mailboxList" }
      ? string[]
      : void;

/** The error of a create refused because the name is taken (looked up before sending, or exit 65). */
export function mailboxExists(user: string, name: string): DoveadmConflictError {
    return new DoveadmConflictError(
        "DOVEADM_MAILBOX_EXISTS",
        { command: "mailboxCreate", user, mailbox: name },
        "the mailbox already exists",
        "Take it over explicitly, or choose another name.",
        { exitCode: 65 },
    );
}

/**
 * How long a snapshot of a user may serve as the look before the creates and deletes that follow it.
 * The engine hands over one resource at a time, tens of milliseconds apart: one look per user per
 * few seconds, kept up to date with this client's own writes, instead of one per mailbox.
 */
export const LOOK_MAX_AGE_MS = 3_000;

/**
 * The same for deletes that may not take messages with them (`requireEmpty`): a stale snapshot can
 * only make such a delete miss (68, then it looks again) or be refused by the server (65), never
 * take mail, so it may serve them for longer. The engine interleaves users' deletes over the whole
 * `destroy`, with checkpoints after each.
 */
export const LOOK_MAX_AGE_EMPTY_DELETES_MS = 60_000;

/** One mailbox to create. */
export interface CreateOrder {
    /** The mailbox's full name. */
    name: string;
    /** The GUID to give the new mailbox; without one the server picks it. */
    guid?: string;
    /** The subscription to set in the same request; left alone when undefined. */
    subscribed?: boolean;
    /** Whether an existing mailbox of that name may be taken instead (adopted, or this resource's own). */
    take?: (existing: MailboxStatus) => boolean;
}

/** A created (or taken) mailbox. */
export interface CreateResult {
    /** The mailbox's status, read back in the same request. */
    status: MailboxStatus;
    /** True when an existing mailbox was taken instead of created. */
    existed: boolean;
    /** Why setting the subscription failed; the mailbox exists all the same. */
    subscriptionError?: unknown;
}

/** One mailbox to delete. */
export interface RemoveOrder {
    /** The name it was last known by. */
    name: string;
    /** Its GUID: only a mailbox with this GUID is deleted, under `name` or wherever it was renamed to. */
    guid?: string;
    /** Without a GUID: whether the mailbox found under the name may be deleted. */
    take?: (existing: MailboxStatus) => boolean;
    /** Refuse a mailbox that holds messages (and let the server refuse it too). */
    requireEmpty: boolean;
    /** Also unsubscribe it, in the same request. */
    unsubscribe: boolean;
    /** The error for a mailbox that holds messages while `requireEmpty` is set. */
    refuse: (name: string, messages: number) => unknown;
}

/** What a delete found: the mailbox it deleted, or nothing when it was gone already. */
export interface RemoveResult {
    /** The mailbox deleted, as last seen; undefined when there was none to delete. */
    deleted?: MailboxStatus;
}

/**
 * A user's snapshot as cached: asked for at `requestedAt`, its value once it came. One that serves
 * creates and deletes (`forWrites`: looked at by them, and brought up to date with their effects) is
 * not handed to readers, who must see changes made behind Pulumi's back since.
 */
interface CachedSnapshot {
    requestedAt: number;
    promise: Promise<UserSnapshot>;
    value?: UserSnapshot;
    forWrites?: boolean;
}

const isExitCode = (value: unknown, code: number) => value instanceof DoveadmError && value.exitCode === code;

/** This client's own writes, to apply to a cached snapshot. */
interface SnapshotChange {
    added?: MailboxStatus[];
    removed?: string[];
    subscribed?: string[];
    unsubscribed?: string[];
}

/** The error of a create the server reported done while the mailbox is not there. */
function notVisible(user: string, name: string): DoveadmNotFoundError {
    return new DoveadmNotFoundError(
        "DOVEADM_CREATE_NOT_VISIBLE",
        { command: "mailboxCreate", user, mailbox: name },
        "the server reported success but the mailbox is not there (another client may have deleted it at once)",
        "Check the server's log and run again.",
    );
}

/** The error of a delete refused because the mailbox holds messages; `hint` says how to allow it. */
export function mailboxNotEmpty(
    user: string,
    name: string,
    messages: number,
    hint: string,
): DoveadmConflictError {
    return new DoveadmConflictError(
        "DOVEADM_MAILBOX_NOT_EMPTY",
        { command: "mailboxDelete", user, mailbox: name },
        `the mailbox holds ${messages} message${messages === 1 ? "" : "s"}; nothing was deleted`,
        hint,
        { exitCode: 65 },
    );
}

/** Schedules the operations of every user of one endpoint. */
export class Scheduler {
    private readonly queues = new Map<string, UserQueue>();
    /**
     * Per user, the last snapshot a reader asked for (maybe still under way), or the one that serves
     * creates and deletes (see CachedSnapshot); dropped by any other write.
     */
    private readonly snapshots = new Map<string, CachedSnapshot>();

    constructor(private readonly target: CommandTarget) {}

    /** Status of one mailbox by exact name, or undefined when it is not a mailbox. Merged with others. */
    status(user: string, name: string): Promise<MailboxStatus | undefined> {
        return this.queue(user).enqueue(
            "status",
            name,
            async (batch: Array<Settleable<string, MailboxStatus | undefined>>) => {
                const found = await statusOfNames(
                    this.target,
                    user,
                    batch.map((op) => op.input),
                );
                for (const op of batch) op.resolve(found.get(op.input));
            },
            [name],
        );
    }

    /**
     * Creates one mailbox (or takes the existing one, if the order allows) and sets its subscription,
     * in one request with the user's other creates: nothing is sent for a name seen to exist.
     */
    create(user: string, order: CreateOrder): Promise<CreateResult> {
        return this.queue(user).enqueue(
            "create",
            order,
            (batch: Array<Settleable<CreateOrder, CreateResult>>) => this.runCreates(user, batch),
            [order.name],
        );
    }

    /**
     * Deletes one mailbox (found by GUID if the order has one), never recursively, and unsubscribes
     * it, in one request with the user's other deletes.
     */
    remove(user: string, order: RemoveOrder): Promise<RemoveResult> {
        return this.queue(user).enqueue(
            "remove",
            order,
            (batch: Array<Settleable<RemoveOrder, RemoveResult>>) => this.runRemovals(user, batch, false),
            [order.name],
        );
    }

    /** Subscribes (or unsubscribes) one name. Merged with the user's other ones of the same direction. */
    subscribe(user: string, name: string, subscribed: boolean): Promise<void> {
        this.snapshots.delete(user);
        return this.queue(user).enqueue(
            subscribed ? "subscribe" : "unsubscribe",
            name,
            (batch: Array<Settleable<string, void>>) => this.runSubscriptions(user, batch, subscribed),
            [name],
        );
    }

    /**
     * Runs `work` (a plugin command: Sieve, ACL, METADATA, quota) in the user's turn, alone, so it
     * never holds the user's lock while another of the user's commands waits for it.
     */
    inTurn<T>(user: string, label: string, work: () => Promise<T>): Promise<T> {
        return this.queue(user).enqueue(`turn:${label}:${++this.turns}`, work, async (batch) => {
            for (const op of batch as Array<Settleable<() => Promise<T>, T>>)
                await op.input().then(op.resolve, op.reject);
        });
    }

    private turns = 0;

    /** Renames a mailbox and its children; nothing of the user's passes it in the queue. */
    rename(user: string, from: string, to: string, guid?: string): Promise<void> {
        return this.exclusive(user, { command: "mailboxRename", from, to, guid });
    }

    /**
     * Renames mailboxes in one request, in order (each with `guid` verified and sent again alone if the
     * answer is lost); nothing of the user's passes it in the queue. Resolves to each rename's error, or
     * undefined for one done, in order: the server runs every command of the request, so a failed
     * rename does not stop the ones after it, and the caller records each that was done.
     */
    renameAll(
        user: string,
        renames: ReadonlyArray<{ from: string; to: string; guid?: string }>,
    ): Promise<Array<DoveadmError | undefined>> {
        this.snapshots.delete(user);
        return this.queue(user).enqueue(
            `renames:${++this.turns}`,
            renames,
            async (batch: Array<Settleable<typeof renames, Array<DoveadmError | undefined>>>) => {
                for (const op of batch) {
                    const requests = op.input.map((r) =>
                        renameRequest(this.target, user, r.from, r.to, r.guid),
                    );
                    await runBatch(this.target, user, requests).then(
                        (results) =>
                            op.resolve(results.map((r) => (r instanceof DoveadmError ? r : undefined))),
                        op.reject,
                    );
                }
            },
        );
    }

    /**
     * Every mailbox's status and the subscription list of a user. A snapshot asked for in the last
     * `maxAgeMs` is shared (even one still under way) unless a write for the user was queued since.
     */
    snapshot(user: string, maxAgeMs: number): Promise<UserSnapshot> {
        const cached = this.snapshots.get(user);
        if (cached && !cached.forWrites && maxAgeMs > 0 && Date.now() - cached.requestedAt <= maxAgeMs)
            return cached.promise;
        const promise = this.queue(user).enqueue(
            maxAgeMs > 0 ? "snapshot" : "snapshot-fresh",
            user,
            async (batch: Array<Settleable<string, UserSnapshot>>) => {
                const requestedAt = Date.now();
                const fresh = await userSnapshot(this.target, user);
                // A fresh one, taken inside the user's turn, is as good a look as the creates and
                // deletes that follow would take themselves (a FolderSet plans against it, then
                // writes): it serves them, and is kept up to date with their effects.
                if (maxAgeMs <= 0) this.lookAt(user, requestedAt, fresh);
                for (const op of batch) op.resolve(fresh);
            },
        );
        // A fresh one (maxAgeMs 0) is its caller's alone: not handed to later readers, who look again.
        if (maxAgeMs <= 0) return promise;
        const entry: CachedSnapshot = { requestedAt: Date.now(), promise };
        this.snapshots.set(user, entry);
        promise.then(
            (value) => {
                if (this.snapshots.get(user) === entry) entry.value = value;
            },
            () => {
                if (this.snapshots.get(user) === entry) this.snapshots.delete(user);
            },
        );
        return promise;
    }

    /**
     * The snapshot a batch of creates or deletes looks at, from inside the user's turn: the cached one
     * if it is recent (it holds this client's own writes since), else a new one.
     */
    private async look(user: string, maxAgeMs = LOOK_MAX_AGE_MS): Promise<UserSnapshot> {
        const cached = this.snapshots.get(user);
        if (cached?.value && Date.now() - cached.requestedAt <= maxAgeMs) return cached.value;
        const requestedAt = Date.now();
        const value = await userSnapshot(this.target, user);
        this.lookAt(user, requestedAt, value);
        return value;
    }

    /** Makes `value`, asked for at `requestedAt` inside the user's turn, the look of the writes that follow. */
    private lookAt(user: string, requestedAt: number, value: UserSnapshot): void {
        this.snapshots.set(user, { requestedAt, promise: Promise.resolve(value), value, forWrites: true });
    }

    /** Applies this client's own writes to the user's cached snapshot (a lost answer drops it). */
    private remember(user: string, change: SnapshotChange, uncertain: boolean): void {
        const cached = this.snapshots.get(user);
        if (!cached?.value) return;
        if (uncertain) {
            this.snapshots.delete(user);
            return;
        }
        const added = change.added ?? [];
        const gone = new Set([...(change.removed ?? []), ...added.map((m) => m.name)]);
        const subscribed = change.subscribed ?? [];
        const unsubscribed = new Set([...(change.unsubscribed ?? []), ...subscribed]);
        const value: UserSnapshot = {
            mailboxes: [...cached.value.mailboxes.filter((m) => !gone.has(m.name)), ...added],
            subscriptions: [
                ...cached.value.subscriptions.filter((name) => !unsubscribed.has(name)),
                ...subscribed,
            ],
            takenAt: cached.value.takenAt,
        };
        this.snapshots.set(user, {
            requestedAt: cached.requestedAt,
            promise: Promise.resolve(value),
            value,
            forWrites: true,
        });
    }

    /** Runs one command alone in the user's turn. */
    exclusive<C extends ExclusiveCommand>(user: string, command: C): Promise<ExclusiveResult<C>> {
        const write = !["mailboxStatus", "mailboxList", "statusAll"].includes(command.command);
        if (write) this.snapshots.delete(user);
        return this.queue(user).enqueue(
            `exclusive:${command.command}`,
            command,
            async (batch: Array<Settleable<C, ExclusiveResult<C>>>) => {
                for (const op of batch) {
                    await this.send(user, op.input).then(
                        (value) => op.resolve(value as ExclusiveResult<C>),
                        op.reject,
                    );
                }
            },
        );
    }

    private send(user: string, c: ExclusiveCommand): Promise<unknown> {
        switch (c.command) {
            case "mailboxCreate":
                return mailboxCreate(this.target, user, c.names, { guid: c.guid });
            case "mailboxDelete":
                return mailboxDelete(this.target, user, c.names, { requireEmpty: c.requireEmpty });
            case "mailboxRename":
                return mailboxRename(this.target, user, c.from, c.to, { guid: c.guid });
            case "mailboxSubscribe":
            case "mailboxUnsubscribe":
                return mailboxSubscription(this.target, user, c.names, c.command === "mailboxSubscribe");
            case "mailboxStatus":
                return mailboxStatus(this.target, user, c.masks);
            case "mailboxList":
                return mailboxList(this.target, user, { masks: c.masks, subscribed: c.subscribed });
            case "statusAll":
                return statusAll(this.target, user);
        }
    }

    private queue(user: string): UserQueue {
        let queue = this.queues.get(user);
        if (!queue) {
            queue = new UserQueue();
            this.queues.set(user, queue);
        }
        return queue;
    }

    /** The server's profile (its version), asked once; a failure is asked again next time. */
    profile(): Promise<ServerProfile> {
        this.profileCache ??= serverProfile(this.target).catch((error: unknown) => {
            this.profileCache = undefined;
            throw error;
        });
        return this.profileCache;
    }

    private profileCache?: Promise<ServerProfile>;

    /**
     * Looks first (the user's snapshot: nothing is sent for a name that exists), then sends in one
     * request what makes each new mailbox (each fails alone, so a failure is pinned on exactly its
     * mailbox), the subscriptions, and a status of the new names, which the server runs after the
     * creates: no separate read-back.
     *
     * A mailbox that gets a GUID is created under a new name of its own (see `temporaryName`), which
     * nobody else can have made, then renamed into place: a rename is refused, touching nothing, when
     * the name exists. The temporary mailbox of a refused rename is deleted in the same request (empty,
     * by that name). Never a GUID in a create of the name itself, for three reasons:
     * - another writer may make the name between any look and the create, since the server runs each
     *   command of a request on its own, other requests' commands between them;
     * - Dovecot 2.3 writes the GUID of a create refused because the name exists into that mailbox;
     * - a create is not atomic: it makes the directory, then its cur/new/tmp, then sets the GUID. A
     *   client that opens the mailbox in between (an IMAP client's STATUS, say) makes the rest itself,
     *   with a GUID of its own, and the create is answered "exists" (65) for a mailbox it made. Under
     *   a temporary name that answer can only be about this create's own mailbox: it is renamed into
     *   place all the same and given its GUID afterwards (see `retag`).
     */
    private async runCreates(
        user: string,
        batch: Array<Settleable<CreateOrder, CreateResult>>,
        attempt = 1,
        started = Date.now(),
        earlier: ReadonlyMap<CreateOrder, DoveadmTemporaryError> = new Map(),
    ): Promise<void> {
        type Op = Settleable<CreateOrder, CreateResult>;
        const snapshot = await this.look(user);
        const existing = new Map(snapshot.mailboxes.map((m) => [m.name, m]));
        const creates: Op[] = [];
        const takes: Array<{ op: Op; status: MailboxStatus }> = [];
        const later: Op[] = [];
        for (const op of batch) {
            const { name } = op.input;
            const found = existing.get(name);
            if (found) {
                if (op.input.take?.(found)) takes.push({ op, status: found });
                else op.reject(mailboxExists(user, name));
            } else if (creates.some((c) => c.input.name === name)) later.push(op);
            else creates.push(op);
        }
        // A create refused for good had its subscription set all the same (the server runs each command
        // of a request on its own): held until that change is put back (see `putBack`).
        // (The queue's own operations are left as they are: should this batch throw, the queue fails
        // every one it has not settled, these included.)
        const refused: Array<{ reject: (error: unknown) => void; op: Op; error: unknown }> = [];
        let holding = true;
        creates.forEach((op, i) => {
            if (op.input.subscribed === undefined) return;
            const held: Op = {
                input: op.input,
                resolve: op.resolve,
                reject: (error) =>
                    holding && !outcomeUnknown(error)
                        ? refused.push({ reject: op.reject, op: held, error })
                        : op.reject(error),
            };
            creates[i] = held;
        });
        const separator = this.target.separator;
        const requests: Array<Request<unknown>> = [];
        const add = (request: Request<unknown>) => requests.push(request) - 1;
        /** Where each create's outcome is: its create, and for a mailbox with a GUID its rename into place. */
        const steps = new Map<Op, { createAt: number; renameAt?: number; temporary?: string }>();
        const temporaries: string[] = [];
        for (const op of creates) {
            const { name, guid } = op.input;
            if (guid === undefined) {
                // A create refused as temporary (75) is not sent again in this request's retries: the
                // server may have half made it (a full disk), which the read-back below tells.
                steps.set(op, {
                    createAt: add({ ...createRequest(this.target, user, [name], guid), step: true }),
                });
                continue;
            }
            const temporary = temporaryName(name, guid, separator);
            temporaries.push(temporary, ...leftovers(snapshot, guid, separator));
            // The rename depends on the create: neither is ever sent again on its own. A failure of
            // either fails the mailbox's create (an unknown outcome records it as pending), and the
            // next run finds the mailbox under its name by its GUID, or makes it.
            const createAt = add({ ...createRequest(this.target, user, [temporary], guid), step: true });
            const renameAt = add({ ...renameRequest(this.target, user, temporary, name, guid), step: true });
            steps.set(op, { createAt, renameAt, temporary });
        }
        // Gone when renamed; left only by a refused rename (deleted here, being empty), by an earlier
        // failure of the request (then nothing was made), or by a run cut off between the two (the
        // leftovers of this create's resource, found above by their names and GUIDs).
        if (temporaries.length > 0) add(deleteRequest(this.target, user, temporaries, true));
        // The subscriptions (which need no mailbox) in two array-form commands, one per direction.
        const subscriptions = new Subscriptions(
            user,
            [...creates, ...takes.map((t) => t.op)].flatMap((op) =>
                op.input.subscribed === undefined
                    ? []
                    : [{ name: op.input.name, subscribed: op.input.subscribed }],
            ),
            add,
        );
        const names = creates.map((op) => op.input.name);
        const statusAt = names.length > 0 ? add(statusOfNamesRequest(this.target, user, names)) : -1;
        const results = requests.length > 0 ? await runBatch(this.target, user, requests) : [];
        const readBack = byName(statusAt >= 0 ? results[statusAt] : []);
        // A subscription matters for a folder that is there; for one whose create failed (a full disk
        // refuses both), sending it again alone would only meet the same failure, with retries.
        const there = new Set([...readBack.keys(), ...takes.map((t) => t.op.input.name)]);
        await subscriptions.settle(results, this.target, (name) => there.has(name));
        const subscriptionError = (op: Op) => subscriptions.errorOf(op.input.name);
        const made = new Map<string, MailboxStatus>();
        const missing: Op[] = [];
        /** Creates refused as temporary (75) that made nothing: sent again, in a batch of their own. */
        const again: Array<{ op: Op; error: DoveadmTemporaryError }> = [];
        /** Made under a temporary name but without their GUID (answered 65, see above): given it after. */
        const untagged: Array<{ op: Op; status: MailboxStatus }> = [];
        const resolveMade = (op: Op, status: MailboxStatus) => {
            made.set(op.input.name, status);
            op.resolve({ status, existed: false, subscriptionError: subscriptionError(op) });
        };
        for (const op of creates) {
            const { name, guid } = op.input;
            const step = steps.get(op) as { createAt: number; renameAt?: number; temporary?: string };
            const created = results[step.createAt];
            // A temporary name "exists" only because this create made it (a client opened it half-made).
            const own = step.temporary !== undefined && isExitCode(created, 65);
            // The outcome that decides: the rename into place when there is one (its create failing
            // first makes it fail too, unless the create made it all the same), else the create.
            const result =
                step.renameAt !== undefined && (own || !(created instanceof DoveadmError))
                    ? results[step.renameAt]
                    : created;
            const now = readBack.get(name);
            if (own && !(result instanceof DoveadmError) && now && guid !== undefined && now.guid !== guid) {
                untagged.push({ op, status: now });
                continue;
            }
            if (result === "unconfirmed") {
                // The answer was lost and the name is taken now: by this create, or by another writer
                // at that very moment, which nothing tells apart without a GUID. Taken as made only
                // while empty (no one's messages can be lost), with the GUID it has.
                if (now && now.messages === 0) resolveMade(op, now);
                else if (now && op.input.take?.(now)) takes.push({ op, status: now });
                else if (now) op.reject(mailboxExists(user, name));
                else missing.push(op);
            } else if (result instanceof DoveadmTemporaryError && now && now.messages === 0) {
                // Cut off by the server (a full disk, say) after the mailbox was made, or half made (empty,
                // with a GUID of the server's own): this create's, as no one else's messages can be lost.
                resolveMade(op, now);
            } else if (result instanceof DoveadmTemporaryError && !now) {
                again.push({ op, error: result });
            } else if (earlier.has(op.input) && isExitCode(result, 65) && !now) {
                // Refused as temporary before, now as existing, and not readable: the earlier attempt
                // most likely half made it (a full disk answers 75 to reading it too). Its outcome is
                // unknown: the resource is recorded as pending, and the next run takes it if empty.
                op.reject(earlier.get(op.input));
            } else if (result instanceof DoveadmError) {
                // A failure of the temporary mailbox's create is the mailbox's own (quota, say).
                const failure =
                    result === created && step.temporary !== undefined
                        ? result.withContext({ ...result.context, mailbox: name })
                        : result;
                if (!isExitCode(failure, 65)) op.reject(failure);
                else if (now && op.input.take?.(now)) takes.push({ op, status: now });
                else op.reject(mailboxExists(user, name));
            } else if (now) resolveMade(op, now);
            else missing.push(op);
        }
        for (const { op, status } of untagged) {
            const guid = op.input.guid as string;
            // Its own mailbox, empty a moment ago: given the GUID it was made for, so that a later run
            // whose state was lost knows it. Should that fail, it is still this create's, by its GUID.
            resolveMade(op, (await this.retag(user, status.name, guid)) ? { ...status, guid } : status);
        }
        if (missing.length > 0) {
            // The read-back did not show them (its own command failed): ask once more, alone.
            const again = await statusOfNames(
                this.target,
                user,
                missing.map((op) => op.input.name),
            );
            for (const op of missing) {
                const status = again.get(op.input.name);
                if (status) resolveMade(op, status);
                else op.reject(notVisible(user, op.input.name));
            }
        }
        // A subscription is set whether or not its create succeeded (subscriptions need no mailbox).
        for (const { op, status } of takes)
            op.resolve({ status, existed: true, subscriptionError: subscriptionError(op) });
        for (const op of later) {
            const status = made.get(op.input.name);
            if (status && op.input.take?.(status)) op.resolve({ status, existed: true });
            else op.reject(mailboxExists(user, op.input.name));
        }
        await this.putBack(user, snapshot, refused, subscriptions);
        holding = false; // a create sent again (createAgain) fails at once from here on
        const { subscribed, unsubscribed } = subscriptions.done();
        // A create refused because the name exists shows the snapshot was behind: look again next time.
        const stale = [...steps.values()].some((step) =>
            isExitCode(results[step.renameAt ?? step.createAt], 65),
        );
        const uncertain =
            stale ||
            refused.length > 0 ||
            results.some((r) => r instanceof DoveadmUnknownOutcomeError || r === "unconfirmed");
        this.remember(user, { added: [...made.values()], subscribed, unsubscribed }, uncertain);
        if (again.length > 0) await this.createAgain(user, again, attempt, started);
    }

    /**
     * Puts back, in one request, the subscriptions that creates refused for good changed (each as
     * `look` had it), so that neither a name never made nor a folder someone else made under it keeps a
     * subscription this client set; then fails those creates. Should putting one back fail, its
     * create's error says so.
     */
    private async putBack(
        user: string,
        look: UserSnapshot,
        refused: ReadonlyArray<{
            reject: (error: unknown) => void;
            op: Settleable<CreateOrder, CreateResult>;
            error: unknown;
        }>,
        changed: Subscriptions,
    ): Promise<void> {
        const was = new Set(look.subscriptions);
        const back = refused.flatMap(({ op }) =>
            changed.errorOf(op.input.name) === undefined && op.input.subscribed !== was.has(op.input.name)
                ? [{ name: op.input.name, subscribed: was.has(op.input.name) }]
                : [],
        );
        const requests: Array<Request<unknown>> = [];
        const restore = new Subscriptions(user, back, (request) => requests.push(request) - 1);
        try {
            if (requests.length > 0)
                await restore.settle(await runBatch(this.target, user, requests), this.target);
        } catch (error) {
            for (const { name } of back) restore.fail(name, error);
        }
        for (const { reject, op, error } of refused) {
            const failure = restore.errorOf(op.input.name);
            if (failure === undefined || !(error instanceof DoveadmError)) {
                reject(error);
                continue;
            }
            const why = failure instanceof Error ? failure.message : "no answer";
            const command = `doveadm mailbox ${was.has(op.input.name) ? "subscribe" : "unsubscribe"} -u ${user} ${JSON.stringify(op.input.name)}`;
            reject(
                error.withContext(
                    error.context,
                    `${error.hint} Its subscription, set in the same request, could not be put back (${why}): set it with \`${command}\`.`,
                ),
            );
        }
    }

    /**
     * Sends again, after a backoff, the creates the server refused as temporary (75) without making
     * anything (a busy lock, a reload): they are not sent again inside their own request's retries,
     * where the commands after them (a rename) have already run. The transport's retry policy bounds it.
     */
    private async createAgain(
        user: string,
        items: ReadonlyArray<{ op: Settleable<CreateOrder, CreateResult>; error: DoveadmTemporaryError }>,
        attempt: number,
        started: number,
    ): Promise<void> {
        const transport = this.target.transport;
        const policy = transport.retryPolicy;
        if (attempt >= policy.maxAttempts) {
            for (const { op, error } of items) op.reject(gaveUp(error, attempt, Date.now() - started));
            return;
        }
        const delay = backoffDelay(policy, attempt);
        // Named by the mailbox's own name, not the temporary one it is made under.
        for (const { op, error } of items)
            transport.retrying(
                error.withContext({ ...error.context, mailbox: op.input.name }),
                attempt,
                delay,
            );
        await new Promise((resolve) => setTimeout(resolve, delay));
        await this.runCreates(
            user,
            items.map(({ op }) => op),
            attempt + 1,
            started,
            new Map(items.map(({ op, error }) => [op.input, error])),
        );
    }

    /**
     * Gives a mailbox this client just made the GUID it was made for; false when the server did not
     * (a server that does not allow `mailbox update` only leaves the mailbox the GUID it has).
     */
    private async retag(user: string, name: string, guid: string): Promise<boolean> {
        try {
            await mailboxUpdateGuid(this.target, user, name, guid);
            return true;
        } catch (error) {
            if (
                error instanceof DoveadmError &&
                error.fatal &&
                !(error instanceof DoveadmCommandNotAllowedError)
            )
                throw error;
            return false;
        }
    }

    /**
     * Finds each mailbox in the user's snapshot (by GUID when the order has one, so one renamed behind
     * our back is deleted where it is now, and another mailbox under the name is never touched), then
     * sends in one request one delete per mailbox (each fails alone) and the unsubscribes. A delete
     * that finds its mailbox gone (the snapshot was behind) looks again once, at a new snapshot.
     */
    private async runRemovals(
        user: string,
        batch: Array<Settleable<RemoveOrder, RemoveResult>>,
        second: boolean,
    ): Promise<void> {
        type Op = Settleable<RemoveOrder, RemoveResult>;
        const onlyEmpty = batch.every((op) => op.input.requireEmpty);
        const snapshot = await this.look(user, onlyEmpty ? LOOK_MAX_AGE_EMPTY_DELETES_MS : LOOK_MAX_AGE_MS);
        const targets: Array<{ op: Op; status: MailboxStatus }> = [];
        for (const op of batch) {
            const { name, guid, take } = op.input;
            const status =
                guid !== undefined
                    ? (snapshot.mailboxes.find((m) => m.guid === guid && m.name === name) ??
                      snapshot.mailboxes.find((m) => m.guid === guid))
                    : snapshot.mailboxes.find((m) => m.name === name && (take?.(m) ?? true));
            if (!status) op.resolve({});
            else if (op.input.requireEmpty && status.messages > 0)
                op.reject(op.input.refuse(status.name, status.messages));
            else if (targets.some((t) => t.status.name === status.name)) op.resolve({ deleted: status });
            else targets.push({ op, status });
        }
        if (targets.length === 0) return;
        const requests: Array<Request<unknown>> = [];
        const add = (request: Request<unknown>) => requests.push(request) - 1;
        const deleteAt = targets.map((t) =>
            add(deleteRequest(this.target, user, [t.status.name], t.op.input.requireEmpty)),
        );
        const subscriptions = new Subscriptions(
            user,
            targets.flatMap((t) =>
                t.op.input.unsubscribe ? [{ name: t.status.name, subscribed: false }] : [],
            ),
            add,
        );
        const results = await runBatch(this.target, user, requests);
        await subscriptions.settle(results, this.target);
        const removed: string[] = [];
        const unsubscribed = subscriptions.done().unsubscribed;
        const lookAgain: Op[] = [];
        for (const [i, { op, status }] of targets.entries()) {
            const deleted = results[deleteAt[i] as number];
            const unsubscribeError = subscriptions.errorOf(status.name);
            if (deleted instanceof DoveadmError) {
                if (isExitCode(deleted, 68)) {
                    if (second) op.resolve({});
                    else lookAgain.push(op);
                } else if (isExitCode(deleted, 65) && op.input.requireEmpty) {
                    // A message arrived since the snapshot: the server kept the mailbox.
                    const now = await statusOfNames(this.target, user, [status.name]);
                    op.reject(op.input.refuse(status.name, now.get(status.name)?.messages ?? 0));
                } else op.reject(deleted);
                continue;
            }
            removed.push(status.name);
            if (unsubscribeError) op.reject(unsubscribeError);
            else op.resolve({ deleted: status });
        }
        const uncertain = results.some((r) => r instanceof DoveadmUnknownOutcomeError);
        this.remember(user, { removed, unsubscribed }, uncertain);
        if (lookAgain.length > 0) {
            this.snapshots.delete(user);
            await this.runRemovals(user, lookAgain, true);
        }
    }

    /** Subscribes in one command; on a failure, one at a time to learn which name failed. */
    private async runSubscriptions(
        user: string,
        batch: Array<Settleable<string, void>>,
        subscribed: boolean,
    ): Promise<void> {
        const names = [...new Set(batch.map((op) => op.input))];
        try {
            await mailboxSubscription(this.target, user, names, subscribed);
            for (const op of batch) op.resolve();
        } catch (error) {
            if (names.length === 1 || (error instanceof DoveadmError && error.fatal)) throw error;
            if (error instanceof DoveadmError)
                tell("split", this.target.transport, () => ({ error, way: "names", commands: 1 }));
            for (const name of names) {
                await mailboxSubscription(this.target, user, [name], subscribed).then(
                    () => settleByName(batch, name),
                    (e) => settleByName(batch, name, e),
                );
            }
        }
    }
}

/**
 * The subscription changes of one batch, in at most two array-form commands of its request (one per
 * direction). When one of them fails, each of its names is sent again alone, after the request, so a
 * failure is pinned on exactly its name.
 */
class Subscriptions {
    private readonly at: { subscribe: number; unsubscribe: number };
    private readonly names: { subscribe: string[]; unsubscribe: string[] };
    private readonly errors = new Map<string, unknown>();

    constructor(
        private readonly user: string,
        changes: ReadonlyArray<{ name: string; subscribed: boolean }>,
        add: (request: Request<unknown>) => number,
    ) {
        const subscribe = [...new Set(changes.filter((c) => c.subscribed).map((c) => c.name))];
        const unsubscribe = [...new Set(changes.filter((c) => !c.subscribed).map((c) => c.name))];
        this.names = { subscribe, unsubscribe };
        this.at = {
            subscribe: subscribe.length > 0 ? add(subscriptionRequest(user, subscribe, true)) : -1,
            unsubscribe: unsubscribe.length > 0 ? add(subscriptionRequest(user, unsubscribe, false)) : -1,
        };
    }

    /**
     * Learns each name's outcome from the request's results, sending a failed command's names alone;
     * but not those for which `alone` says it is not worth it (a folder whose create failed: the
     * command's failure stands for them).
     */
    async settle(
        results: readonly unknown[],
        target: CommandTarget,
        alone: (name: string) => boolean = () => true,
    ): Promise<void> {
        for (const direction of ["subscribe", "unsubscribe"] as const) {
            const at = this.at[direction];
            const failure = at >= 0 ? errorOf(results[at]) : undefined;
            if (failure === undefined) continue;
            const names = this.names[direction];
            if (names.length === 1 || (failure instanceof DoveadmError && failure.fatal)) {
                for (const name of names) this.errors.set(name, failure);
                continue;
            }
            for (const name of names) if (!alone(name)) this.errors.set(name, failure);
            if (failure instanceof DoveadmError && names.some(alone))
                tell("split", target.transport, () => ({ error: failure, way: "names", commands: 1 }));
            for (const name of names.filter(alone)) {
                await mailboxSubscription(target, this.user, [name], direction === "subscribe").catch(
                    (error: unknown) => {
                        if (error instanceof DoveadmError && error.fatal) throw error;
                        this.errors.set(name, error);
                    },
                );
            }
        }
    }

    /** Records that setting the subscription of `name` failed. */
    fail(name: string, error: unknown): void {
        this.errors.set(name, error);
    }

    /** Why setting the subscription of `name` failed, if it did. */
    errorOf(name: string): unknown {
        return this.errors.get(name);
    }

    /** The names subscribed and unsubscribed. */
    done(): { subscribed: string[]; unsubscribed: string[] } {
        const ok = (names: string[]) => names.filter((name) => !this.errors.has(name));
        return { subscribed: ok(this.names.subscribe), unsubscribed: ok(this.names.unsubscribe) };
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

/**
 * The name under which a mailbox that gets `guid` is created (on every version) before it is renamed
 * into place as `name`: beside it (same parent, so the same namespace), or at the top when that would be
 * too long. Nobody else makes a mailbox so named (it holds the GUID chosen for this create).
 */
export function temporaryName(name: string, guid: string, separator: string): string {
    const leaf = `pulumi-dovecot-${guid}`;
    const cut = name.lastIndexOf(separator);
    const beside = cut < 0 ? leaf : `${name.slice(0, cut + 1)}${leaf}`;
    return modifiedUtf7Length(beside) <= MAX_MAILBOX_NAME_BYTES ? beside : leaf;
}

/**
 * The empty mailboxes that an earlier create of the same resource (its GUIDs share `guid`'s tag, the
 * first 24 hex digits) left under a temporary name: the server stopped between the create and the
 * rename. Named `pulumi-dovecot-<the GUID it was made for>`, nobody else's, whatever GUID it has (a
 * client that opened it half-made gave it one of its own).
 */
function leftovers(snapshot: UserSnapshot, guid: string, separator: string): string[] {
    const made = new RegExp(`^pulumi-dovecot-${guid.slice(0, 24)}[0-9a-f]{8}$`);
    return snapshot.mailboxes
        .filter((m) => made.test(m.name.slice(m.name.lastIndexOf(separator) + 1)) && m.messages === 0)
        .map((m) => m.name);
}

/** The statuses of a batch result (a read's list, or anything else for none), by name. */
function byName(result: unknown): Map<string, MailboxStatus> {
    return new Map((Array.isArray(result) ? (result as MailboxStatus[]) : []).map((m) => [m.name, m]));
}

/** The error in a batch result, if it is one. */
function errorOf(result: unknown): unknown {
    return result instanceof DoveadmError ? result : undefined;
}

/** For callers that want exit 65 as data: true when the error says the mailbox exists. */
export function isExists(error: unknown): boolean {
    return error instanceof DoveadmConflictError && error.code === "DOVEADM_MAILBOX_EXISTS";
}
