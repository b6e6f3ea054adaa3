import {
    DoveadmConfigError,
    DoveadmError,
    DoveadmTemporaryError,
    DoveadmUsageError,
    KNOWN_EXIT_CODES,
    errorForExitCode,
    errorForHttpStatus,
} from "../../provider/client/errors";

const context = { command: "mailboxDelete", user: "alice@example.org", mailbox: "Archive" };

describe("the doveadm error family", () => {
    it("covers every exit code of the overview's table", () => {
        const table = [64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 1003];
        expect([...KNOWN_EXIT_CODES].sort((a, b) => a - b)).toEqual(table);
    });

    it.each([64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 1003])(
        "turns exit %i into a typed error with a stable code, the target and advice",
        (exit) => {
            const error = errorForExitCode(exit, context);
            expect(error).toBeInstanceOf(DoveadmError);
            expect(error.code).toMatch(/^DOVEADM_[A-Z_]+$/);
            expect(error.exitCode).toBe(exit);
            expect(error.message).toContain("mailboxDelete");
            expect(error.message).toContain("alice@example.org");
            expect(error.message).toContain('"Archive"');
            expect(error.message).toContain(`exit ${exit}`);
            expect(error.hint.length).toBeGreaterThan(10);
        },
    );

    it("gives each exit code its own code", () => {
        const codes = KNOWN_EXIT_CODES.map((exit) => errorForExitCode(exit, context).code);
        expect(new Set(codes).size).toBe(codes.length);
    });

    it("retries only temporary failures and stops the run on configuration failures", () => {
        expect(errorForExitCode(75, context)).toBeInstanceOf(DoveadmTemporaryError);
        expect(errorForExitCode(75, context).retryable).toBe(true);
        expect(errorForExitCode(65, context).retryable).toBe(false);
        expect(errorForExitCode(78, context)).toBeInstanceOf(DoveadmConfigError);
        expect(errorForExitCode(78, context).fatal).toBe(true);
        expect(errorForExitCode(68, context).fatal).toBe(false);
    });

    it("maps HTTP failures", () => {
        expect(errorForHttpStatus(400, context, "http://x")).toBeInstanceOf(DoveadmUsageError);
        expect(errorForHttpStatus(401, context, "http://x").fatal).toBe(true);
        expect(errorForHttpStatus(404, context, "http://x").code).toBe("DOVEADM_PATH_NOT_FOUND");
        expect(errorForHttpStatus(500, context, "http://x").code).toBe("DOVEADM_SERVER_NOT_CONFIGURED");
        expect(errorForHttpStatus(503, context, "http://x").code).toBe("DOVEADM_HTTP_STATUS");
    });

    it("names an unknown exit code without failing", () => {
        expect(errorForExitCode(99, context).code).toBe("DOVEADM_EXIT_CODE");
    });
});
