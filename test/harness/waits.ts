// Waiting in tests, always bounded: a pause, a promise that an event settles, and a poll that gives
// up after a deadline. A test that waits for something that never comes fails with what it waited for,
// instead of hanging until jest's own timeout.

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise and the function that settles it, for letting something go on an event (a held request). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
}

/** How long `waitFor` polls, and how often. */
export interface WaitOptions {
    /** Give up after this long; default 10 s. */
    timeoutMs?: number;
    /** Look again after this long; default 50 ms. */
    intervalMs?: number;
}

/**
 * Polls `check` until it answers true; rejects with `timed out after <ms> ms waiting for <what>` when
 * `timeoutMs` passes first. The check runs at least once, and once more at the deadline.
 */
export async function waitFor(
    what: string,
    check: () => boolean | Promise<boolean>,
    options: WaitOptions = {},
): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(Math.min(options.intervalMs ?? 50, Math.max(0, deadline - Date.now())));
    }
}
