// The concurrency limit per endpoint: the server forks a process per request and runs only so many
// at once. (One operation at a time per user is the job of queue.ts.)

/** At most `max` tasks run at once; the rest wait in arrival order. */
export class Semaphore {
    private active = 0;
    private readonly waiting: Array<() => void> = [];

    constructor(readonly max: number) {
        if (!Number.isInteger(max) || max < 1)
            throw new RangeError(`Semaphore size must be a positive integer, got ${max}`);
    }

    /** Runs `task` once a slot is free. */
    async run<T>(task: () => Promise<T>): Promise<T> {
        if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
        else this.active++;
        try {
            return await task();
        } finally {
            const next = this.waiting.shift();
            if (next) next();
            else this.active--;
        }
    }
}
