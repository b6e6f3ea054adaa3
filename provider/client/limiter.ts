// Concurrency limits: a counting semaphore per endpoint (the server forks a process per request and
// runs only so many at once) and a mutex per user (Dovecot locks a user's mail while it works on it,
// so concurrent commands for one user only queue on the server and risk lock timeouts).

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

/** Tasks with the same key run one at a time, in arrival order; different keys run independently. */
export class KeyedMutex {
    private readonly tails = new Map<string, Promise<void>>();

    /** Runs `task` after every earlier task with the same key has settled. */
    async run<T>(key: string, task: () => Promise<T>): Promise<T> {
        const previous = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const current = new Promise<void>((resolve) => (release = resolve));
        const tail = previous.then(() => current);
        this.tails.set(key, tail);
        await previous;
        try {
            return await task();
        } finally {
            release();
            if (this.tails.get(key) === tail) this.tails.delete(key);
        }
    }
}
