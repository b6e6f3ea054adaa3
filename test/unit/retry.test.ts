import {
    DoveadmNotFoundError,
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    errorForExitCode,
} from "../../provider/client/errors";
import { Semaphore } from "../../provider/client/limiter";
import { backoffDelay, withRetry } from "../../provider/client/retry";

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
const ctx = { command: "mailboxCreate", user: "u", mailbox: "m" };
const unknown = () => new DoveadmUnknownOutcomeError("DOVEADM_CONNECTION_CLOSED", ctx, "closed", "retry");

describe("retry", () => {
    it("retries a temporary failure (exit 75) and then succeeds", async () => {
        let calls = 0;
        const result = await withRetry(
            async () => {
                if (++calls < 3) throw errorForExitCode(75, ctx);
                return "ok";
            },
            { idempotent: false, policy: fast },
        );
        expect(result).toBe("ok");
        expect(calls).toBe(3);
    });

    it("gives up on a persistent 75 after maxAttempts", async () => {
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw errorForExitCode(75, ctx);
                },
                { idempotent: true, policy: fast },
            ),
        ).rejects.toBeInstanceOf(DoveadmTemporaryError);
        expect(calls).toBe(4);
    });

    it("never retries a permanent failure", async () => {
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw errorForExitCode(68, ctx);
                },
                { idempotent: true, policy: fast },
            ),
        ).rejects.toBeInstanceOf(DoveadmNotFoundError);
        expect(calls).toBe(1);
    });

    it("retries a read whose outcome is unknown", async () => {
        let calls = 0;
        await withRetry(
            async () => {
                if (++calls === 1) throw unknown();
            },
            { idempotent: true, policy: fast },
        );
        expect(calls).toBe(2);
    });

    it("does not resend a write with an unknown outcome when there is no way to check", async () => {
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw unknown();
                },
                { idempotent: false, policy: fast },
            ),
        ).rejects.toBeInstanceOf(DoveadmUnknownOutcomeError);
        expect(calls).toBe(1);
    });

    it("re-reads state before resending a write, and stops when the write took effect", async () => {
        let calls = 0;
        let recoveries = 0;
        const result = await withRetry(
            async () => {
                calls++;
                throw unknown();
            },
            {
                idempotent: false,
                policy: fast,
                recover: async () => {
                    recoveries++;
                    return { done: true, value: "done-by-first-try" };
                },
            },
        );
        expect(result).toBe("done-by-first-try");
        expect(calls).toBe(1);
        expect(recoveries).toBe(1);
    });

    it("resends a write that the re-read shows not done", async () => {
        let calls = 0;
        await withRetry(
            async () => {
                if (++calls === 1) throw unknown();
            },
            { idempotent: false, policy: fast, recover: async () => ({ done: false }) },
        );
        expect(calls).toBe(2);
    });

    it("resends a request that never reached the server", async () => {
        let calls = 0;
        await withRetry(
            async () => {
                if (++calls === 1)
                    throw new DoveadmUnreachableError("DOVEADM_UNREACHABLE", ctx, "refused", "start it");
            },
            { idempotent: false, policy: fast },
        );
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
                    await new Promise((r) => setTimeout(r, 5));
                    active--;
                }),
            ),
        );
        expect(peak).toBe(2);
    });
});
