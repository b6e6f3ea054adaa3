import {
    DoveadmNotFoundError,
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    errorForExitCode,
} from "../../provider/client/errors";
import { Semaphore } from "../../provider/client/limiter";
import { RetryOptions, backoffDelay, withRetry } from "../../provider/client/retry";
import { sleep } from "../harness/waits";

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
const ctx = { command: "mailboxCreate", user: "u", mailbox: "m" };
const unknown = () => new DoveadmUnknownOutcomeError("DOVEADM_CONNECTION_CLOSED", ctx, "closed", "retry");

/**
 * Runs withRetry (with the fast policy) over an operation whose call number `n` (from 1) throws
 * `failure(n)`, or answers "ok" when that is undefined; tells how many calls were made and how it ended.
 */
async function retried(
    failure: (call: number) => Error | undefined,
    options: Omit<RetryOptions<string>, "policy">,
): Promise<{ calls: number; value?: string; error?: unknown }> {
    let calls = 0;
    const attempt = async () => {
        const error = failure(++calls);
        if (error) throw error;
        return "ok";
    };
    const ended = await withRetry(attempt, { ...options, policy: fast }).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
    );
    return { calls, ...ended };
}

describe("retry", () => {
    it("retries a temporary failure (exit 75) and then succeeds", async () => {
        const { calls, value } = await retried((n) => (n < 3 ? errorForExitCode(75, ctx) : undefined), {
            idempotent: false,
        });
        expect(value).toBe("ok");
        expect(calls).toBe(3);
    });

    it("gives up on a persistent 75 after maxAttempts", async () => {
        const { calls, error } = await retried(() => errorForExitCode(75, ctx), { idempotent: true });
        expect(error).toBeInstanceOf(DoveadmTemporaryError);
        expect(calls).toBe(4);
    });

    it("never retries a permanent failure", async () => {
        const { calls, error } = await retried(() => errorForExitCode(68, ctx), { idempotent: true });
        expect(error).toBeInstanceOf(DoveadmNotFoundError);
        expect(calls).toBe(1);
    });

    it("retries a read whose outcome is unknown", async () => {
        const { calls } = await retried((n) => (n === 1 ? unknown() : undefined), { idempotent: true });
        expect(calls).toBe(2);
    });

    it("does not resend a write with an unknown outcome when there is no way to check", async () => {
        const { calls, error } = await retried(() => unknown(), { idempotent: false });
        expect(error).toBeInstanceOf(DoveadmUnknownOutcomeError);
        expect(calls).toBe(1);
    });

    it("re-reads state before resending a write, and stops when the write took effect", async () => {
        let recoveries = 0;
        const { calls, value } = await retried(() => unknown(), {
            idempotent: false,
            recover: async () => {
                recoveries++;
                return { done: true, value: "done-by-first-try" };
            },
        });
        expect(value).toBe("done-by-first-try");
        expect(calls).toBe(1);
        expect(recoveries).toBe(1);
    });

    it("resends a write that the re-read shows not done", async () => {
        const { calls } = await retried((n) => (n === 1 ? unknown() : undefined), {
            idempotent: false,
            recover: async () => ({ done: false }),
        });
        expect(calls).toBe(2);
    });

    it("resends a request that never reached the server", async () => {
        const unreachable = () =>
            new DoveadmUnreachableError("DOVEADM_UNREACHABLE", ctx, "refused", "start it");
        const { calls } = await retried((n) => (n === 1 ? unreachable() : undefined), { idempotent: false });
        expect(calls).toBe(2);
    });

    it("backs off exponentially up to the cap, with jitter in the upper half", () => {
        const policy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
        expect(backoffDelay(policy, 1, () => 0)).toBe(50);
        expect(backoffDelay(policy, 1, () => 1)).toBe(100);
        expect(backoffDelay(policy, 3, () => 1)).toBe(400);
        expect(backoffDelay(policy, 10, () => 1)).toBe(1000);
    });
});

describe("limits", () => {
    it("runs at most max tasks at once", async () => {
        const semaphore = new Semaphore(2);
        let active = 0;
        let peak = 0;
        await Promise.all(
            Array.from({ length: 8 }, () =>
                semaphore.run(async () => {
                    peak = Math.max(peak, ++active);
                    await sleep(5);
                    active--;
                }),
            ),
        );
        expect(peak).toBe(2);
    });
});
