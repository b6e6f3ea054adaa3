// One queue per user: Dovecot locks a user's mail while a command runs, so the client runs one
// operation per user at a time. While one runs, others queue up; then the operation at the head and
// every queued operation of the same kind (say, 20 creates) go to that kind's batch runner, which
// sends them as one array-form command. An operation may move ahead of others only if none of them
// is about the same mailbox, so the order of operations on any one mailbox is kept; an operation
// about the whole user (a rename, which moves children too, or a snapshot) is a barrier nothing
// crosses.

/** One queued operation. */
interface Entry<Input, Output> {
    kind: string;
    /** The mailboxes the operation is about; WHOLE_USER for all of them. */
    keys: readonly string[];
    input: Input;
    resolve: (value: Output) => void;
    reject: (error: unknown) => void;
}

/** Runs a batch of operations of one kind; settles each through its callbacks. */
export type BatchRunner<Input, Output> = (batch: Array<Settleable<Input, Output>>) => Promise<void>;

/** An operation handed to a batch runner, which must settle it. */
export interface Settleable<Input, Output> {
    /** The operation's input. */
    input: Input;
    /** Completes the operation with a value. */
    resolve: (value: Output) => void;
    /** Fails the operation (and only it). */
    reject: (error: unknown) => void;
}

/** The key of an operation about all of a user's mailboxes. */
export const WHOLE_USER = "\u0000*";

/** The most operations merged into one command. */
export const MAX_BATCH = 100;

/** A per-user FIFO that merges contiguous operations of the same kind. */
export class UserQueue {
    private readonly entries: Array<Entry<unknown, unknown>> = [];
    private draining = false;

    /**
     * Queues an operation of `kind` about the mailboxes `keys`, to be run (maybe with others of its
     * kind) by `runner`.
     */
    enqueue<Input, Output>(
        kind: string,
        input: Input,
        runner: BatchRunner<Input, Output>,
        keys: readonly string[] = [WHOLE_USER],
    ): Promise<Output> {
        return new Promise<Output>((resolve, reject) => {
            this.entries.push({ kind, keys, input, resolve, reject } as Entry<unknown, unknown>);
            this.runners.set(kind, runner as BatchRunner<unknown, unknown>);
            if (!this.draining) {
                this.draining = true;
                // Let callers of the same tick join the first batch.
                setImmediate(() => void this.drain());
            }
        });
    }

    private readonly runners = new Map<string, BatchRunner<unknown, unknown>>();

    /** The head operation and the queued operations of its kind that may move up to it. */
    private takeBatch(): Array<Entry<unknown, unknown>> {
        const head = this.entries[0] as Entry<unknown, unknown>;
        const taken = new Set<number>([0]);
        if (!head.keys.includes(WHOLE_USER)) {
            const blocked = new Set<string>();
            for (let i = 1; i < this.entries.length && taken.size < MAX_BATCH; i++) {
                const entry = this.entries[i] as Entry<unknown, unknown>;
                if (entry.keys.includes(WHOLE_USER)) break;
                if (entry.kind === head.kind && !entry.keys.some((key) => blocked.has(key))) taken.add(i);
                else for (const key of entry.keys) blocked.add(key);
            }
        }
        const batch = this.entries.filter((_, i) => taken.has(i));
        const rest = this.entries.filter((_, i) => !taken.has(i));
        this.entries.splice(0, this.entries.length, ...rest);
        return batch;
    }

    private async drain(): Promise<void> {
        try {
            while (this.entries.length > 0) {
                const batch = this.takeBatch();
                const kind = (batch[0] as Entry<unknown, unknown>).kind;
                const runner = this.runners.get(kind);
                try {
                    if (!runner) throw new Error(`no runner for ${kind}`);
                    await runner(batch);
                } catch (error) {
                    // A runner that throws fails every operation it has not settled yet.
                    for (const entry of batch) entry.reject(error);
                }
            }
        } finally {
            this.draining = false;
        }
    }
}
