// Retry as a wrapper around one request. What may be retried is decided here, once:
// - temporary failures (exit 75) and requests that never reached the server: always, with backoff;
// - requests whose outcome is unknown (connection closed, timeout): reads always; writes only
//   after `recover` has re-read the server's state and found the write not done;
// - everything else: never.
import { DoveadmError, DoveadmUnknownOutcomeError } from "./errors";

/** How often and how long to retry. */
export interface RetryPolicy {
    /** Attempts in all, the first included. */
    maxAttempts: number;
    /** The first backoff ceiling; it doubles each time, and each wait is jittered below it. */
    baseDelayMs: number;
    /** The largest single backoff. */
    maxDelayMs: number;
}

/** Up to 6 attempts, waiting at most 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s in all between them. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 4000 };

/** What re-reading the server's state after an unknown outcome found. */
export type Recovery<T> = { done: true; value: T } | { done: false };

/** How one request may be retried. */
export interface RetryOptions<T> {
    /** Whether sending the request twice is harmless (reads, subscribe, reload). */
    idempotent: boolean;
    /** For a write: re-reads the server's state after an unknown outcome to learn whether it took effect. */
    recover?: (error: DoveadmError) => Promise<Recovery<T>>;
    /** Called before each retry, for logging. */
    onRetry?: (error: DoveadmError, attempt: number, delayMs: number) => void;
    /** The policy; DEFAULT_RETRY_POLICY when absent. */
    policy?: RetryPolicy;
    /** The failure of a first attempt made elsewhere (as one command of a larger request). */
    firstError?: DoveadmError;
}

/** The backoff before retry number `attempt` (1-based): a random point in the upper half of an exponential ceiling. */
export function backoffDelay(
    policy: RetryPolicy,
    attempt: number,
    random: () => number = Math.random,
): number {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` and retries it as the options allow. */
export async function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions<T>): Promise<T> {
    const policy = options.policy ?? DEFAULT_RETRY_POLICY;
    const started = Date.now();
    // Set once an attempt of a write ended with an unknown outcome: that attempt may still take effect
    // on the server later (a slow server runs it after the client gave up on it).
    let uncertain = false;
    for (let n = 1; ; n++) {
        try {
            if (n === 1 && options.firstError) throw options.firstError;
            return await attempt();
        } catch (error) {
            if (!(error instanceof DoveadmError)) throw error;
            let retry = error.retryable;
            if (error instanceof DoveadmUnknownOutcomeError) {
                if (options.idempotent) retry = true;
                else if (options.recover) {
                    uncertain = true;
                    const found = await options.recover(error);
                    if (found.done) return found.value;
                    retry = true;
                }
            } else if (uncertain && !retry && !error.fatal && options.recover) {
                // A resend refused as a conflict (exit 65 "exists", 68 "gone") may have met the effect
                // of the earlier attempt that arrived late: if the server now shows the write done, it is.
                const found = await options.recover(error);
                if (found.done) return found.value;
            }
            if (!retry) throw error;
            if (n >= policy.maxAttempts) throw n > 1 ? gaveUp(error, n, Date.now() - started) : error;
            const delay = backoffDelay(policy, n);
            options.onRetry?.(error, n, delay);
            await sleep(delay);
        }
    }
}

/** The last error of a retried request, saying how many attempts were made over how long. */
export function gaveUp(error: DoveadmError, attempts: number, elapsedMs: number): DoveadmError {
    const seconds = (elapsedMs / 1000).toFixed(1);
    error.message = error.message.replace(
        `failed: ${error.reason}.`,
        `failed: ${error.reason}; gave up after ${attempts} attempts over ${seconds} s.`,
    );
    return error;
}
