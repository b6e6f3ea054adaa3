// One queue per user: Dovecot locks a user's mail while a command runs, so the client runs one
// operation per user at a time, in arrival order. While one runs, others queue up; when its turn
// comes, a run of queued operations of the same kind at the head of the queue (say, 20 creates) is
// handed to that kind's batch runner, which sends them as one array-form command. Only contiguous
// operations are merged, so the order of operations on any one mailbox is kept.

/** One queued operation. */
interface Entry<Input, Output> {
    kind: string;
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

/** The most operations merged into one command. */
export const MAX_BATCH = 100;

/** A per-user FIFO that merges contiguous operations of the same kind. */
export class UserQueue {
    private readonly entries: Array<Entry<unknown, unknown>> = [];
    private draining = false;

    /** Queues an operation of `kind`, to be run (maybe with others of its kind) by `runner`. */
    enqueue<Input, Output>(kind: string, input: Input, runner: BatchRunner<Input, Output>): Promise<Output> {
        return new Promise<Output>((resolve, reject) => {
            this.entries.push({ kind, input, resolve, reject } as Entry<unknown, unknown>);
            this.runners.set(kind, runner as BatchRunner<unknown, unknown>);
            if (!this.draining) {
                this.draining = true;
                // Let callers of the same tick join the first batch.
                setImmediate(() => void this.drain());
            }
        });
    }

    private readonly runners = new Map<string, BatchRunner<unknown, unknown>>();

    private async drain(): Promise<void> {
        try {
            while (this.entries.length > 0) {
                const kind = (this.entries[0] as Entry<unknown, unknown>).kind;
                let count = 0;
                while (count < this.entries.length && count < MAX_BATCH && this.entries[count]?.kind === kind)
                    count++;
                const batch = this.entries.splice(0, count);
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
