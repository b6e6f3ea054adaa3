// Per-user scheduling: Dovecot locks a user's mail while a command runs, so one operation per user
// runs at a time (queue.ts), and the operations that queue up meanwhile are merged into the array
// forms of the commands (20 creates become one `mailboxCreate`), with each failure pinned on exactly
// the mailbox it belongs to. Readers of a user share one snapshot, which any write drops. It is given
// plain data (a user, a name) and returns plain results; it sends through commands.ts only.
import { DoveadmConflictError, DoveadmError, DoveadmNotFoundError } from "./errors";
import {
    CommandTarget,
    MailboxStatus,
    UserSnapshot,
    mailboxCreate,
    mailboxDelete,
    mailboxList,
    mailboxRename,
    mailboxStatus,
    mailboxSubscription,
    statusAll,
    statusOfNames,
    userSnapshot,
} from "./commands";
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

/** Schedules the operations of every user of one endpoint. */
export class Scheduler {
    private readonly queues = new Map<string, UserQueue>();
    /** The last snapshot a reader asked for, per user (maybe still under way), dropped by any write. */
    private readonly snapshots = new Map<string, { requestedAt: number; promise: Promise<UserSnapshot> }>();

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
     * Creates one mailbox and returns its status as read back (its GUID is the server's). Fails with
     * DOVEADM_MAILBOX_EXISTS if the name is taken; nothing is sent for a name seen to exist.
     */
    create(user: string, name: string): Promise<MailboxStatus> {
        this.snapshots.delete(user);
        return this.queue(user).enqueue(
            "create",
            name,
            (batch: Array<Settleable<string, MailboxStatus>>) => this.runCreates(user, batch),
            [name],
        );
    }

    /** Deletes one mailbox, never recursively; with `requireEmpty` the server refuses one with messages (65). */
    delete(user: string, name: string, requireEmpty: boolean): Promise<void> {
        this.snapshots.delete(user);
        return this.queue(user).enqueue(
            requireEmpty ? "delete-empty" : "delete-force",
            name,
            (batch: Array<Settleable<string, void>>) => this.runDeletes(user, batch, requireEmpty),
            [name],
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

    /** Renames a mailbox and its children; nothing of the user's passes it in the queue. */
    rename(user: string, from: string, to: string, guid?: string): Promise<void> {
        return this.exclusive(user, { command: "mailboxRename", from, to, guid });
    }

    /**
     * Every mailbox's status and the subscription list of a user. A snapshot asked for in the last
     * `maxAgeMs` is shared (even one still under way) unless a write for the user was queued since.
     */
    snapshot(user: string, maxAgeMs: number): Promise<UserSnapshot> {
        const cached = this.snapshots.get(user);
        if (cached && maxAgeMs > 0 && Date.now() - cached.requestedAt <= maxAgeMs) return cached.promise;
        const promise = this.queue(user).enqueue(
            maxAgeMs > 0 ? "snapshot" : "snapshot-fresh",
            user,
            async (batch: Array<Settleable<string, UserSnapshot>>) => {
                const fresh = await userSnapshot(this.target, user);
                for (const op of batch) op.resolve(fresh);
            },
        );
        if (maxAgeMs > 0) {
            const entry = { requestedAt: Date.now(), promise };
            this.snapshots.set(user, entry);
            promise.catch(() => {
                if (this.snapshots.get(user) === entry) this.snapshots.delete(user);
            });
        }
        return promise;
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

    /**
     * Looks first (a multi-name create goes on past a name that fails, and a name that exists must
     * never be sent), creates the rest in one command, then reads the new mailboxes back for their
     * GUIDs. On a failure, whatever exists now and did not before was made by this command; the rest
     * are created one at a time, so each gets its own error.
     */
    private async runCreates(user: string, batch: Array<Settleable<string, MailboxStatus>>): Promise<void> {
        const names = [...new Set(batch.map((op) => op.input))];
        const settle = (name: string, result: MailboxStatus | DoveadmError) => {
            for (const op of batch) {
                if (op.input !== name) continue;
                if (result instanceof DoveadmError) op.reject(result);
                else op.resolve(result);
            }
        };
        const before = await statusOfNames(this.target, user, names);
        const wanted = names.filter((name) => {
            if (!before.has(name)) return true;
            settle(name, mailboxExists(user, name));
            return false;
        });
        if (wanted.length === 0) return;
        const created: string[] = [];
        try {
            await mailboxCreate(this.target, user, wanted);
            created.push(...wanted);
        } catch (error) {
            if (wanted.length === 1 || (error instanceof DoveadmError && error.fatal)) {
                const name = wanted[0] as string;
                if (wanted.length === 1 && error instanceof DoveadmError && error.exitCode === 65) {
                    settle(name, mailboxExists(user, name));
                    return;
                }
                throw error;
            }
            const after = await statusOfNames(this.target, user, wanted);
            for (const name of wanted) {
                if (after.has(name)) {
                    created.push(name);
                    continue;
                }
                try {
                    await mailboxCreate(this.target, user, [name]);
                    created.push(name);
                } catch (e) {
                    const own =
                        e instanceof DoveadmError && e.exitCode === 65 ? mailboxExists(user, name) : e;
                    settle(name, own as DoveadmError);
                    if (!(own instanceof DoveadmError)) throw own;
                }
            }
        }
        if (created.length === 0) return;
        const now = await statusOfNames(this.target, user, created);
        for (const name of created) {
            const status = now.get(name);
            settle(
                name,
                status ??
                    new DoveadmNotFoundError(
                        "DOVEADM_CREATE_NOT_VISIBLE",
                        { command: "mailboxCreate", user, mailbox: name },
                        "the server reported success but the mailbox is not there (another client may have deleted it at once)",
                        "Check the server's log and run again.",
                    ),
            );
        }
    }

    /** Deletes in one command; on a failure learns which are gone, then deletes the rest one at a time. */
    private async runDeletes(
        user: string,
        batch: Array<Settleable<string, void>>,
        requireEmpty: boolean,
    ): Promise<void> {
        const names = [...new Set(batch.map((op) => op.input))];
        const settle = (name: string, error?: unknown) => settleByName(batch, name, error);
        try {
            await mailboxDelete(this.target, user, names, { requireEmpty });
            for (const name of names) settle(name);
        } catch (error) {
            if (names.length === 1 || (error instanceof DoveadmError && error.fatal)) throw error;
            const after = await statusOfNames(this.target, user, names);
            for (const name of names) {
                if (!after.has(name)) settle(name);
                else
                    await mailboxDelete(this.target, user, [name], { requireEmpty }).then(
                        () => settle(name),
                        (e) => settle(name, e),
                    );
            }
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
            for (const name of names) {
                await mailboxSubscription(this.target, user, [name], subscribed).then(
                    () => settleByName(batch, name),
                    (e) => settleByName(batch, name, e),
                );
            }
        }
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

/** For callers that want exit 65 as data: true when the error says the mailbox exists. */
export function isExists(error: unknown): boolean {
    return error instanceof DoveadmConflictError && error.code === "DOVEADM_MAILBOX_EXISTS";
}
