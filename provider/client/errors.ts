// The whole doveadm error family. Callers branch on the class or on `code`, never on message text.
// Every message names the command, the user and the mailbox, and says what to do next. No message
// ever contains a credential: none is ever passed in here.

/** Where a failure happened: the doveadm command and the user and mailbox it was about. */
export interface ErrorContext {
    /** The doveadm command, for example `mailboxCreate`. */
    command: string;
    /** The user the command ran as, when it is a mail command. */
    user?: string;
    /** The mailbox (or mailboxes) the command was about. */
    mailbox?: string | readonly string[];
    /** What else the command was about, as it reads in a message: `Sieve script "filters"`, say. */
    item?: string;
    /** The configured server's name, when the program names servers (`dovecot:servers.<name>`). */
    server?: string;
}

/** Options shared by every doveadm error. */
export interface DoveadmErrorOptions {
    /** The doveadm exit code, when the server reported one. */
    exitCode?: number;
    /** The HTTP status, when the failure was an HTTP one. */
    httpStatus?: number;
    /** What to do about it; replaces the class's default advice. */
    hint?: string;
    /** The underlying error (a socket error, a timeout). */
    cause?: unknown;
}

/** What a request was about, as messages name it: `mailboxCreate for user "a" on mailbox "b"`. */
export function describeTarget(context: ErrorContext): string {
    const parts = [context.command];
    if (context.server !== undefined) parts.push(`on server ${JSON.stringify(context.server)}`);
    if (context.user !== undefined) parts.push(`for user ${JSON.stringify(context.user)}`);
    const mailbox = context.mailbox;
    if (mailbox !== undefined) {
        const names = typeof mailbox === "string" ? [mailbox] : [...mailbox];
        if (names.length === 1) parts.push(`on mailbox ${JSON.stringify(names[0])}`);
        else if (names.length > 1) {
            const shown = names.slice(0, 5).map((n) => JSON.stringify(n));
            const more = names.length > 5 ? ` and ${names.length - 5} more` : "";
            parts.push(`on mailboxes ${shown.join(", ")}${more}`);
        }
    }
    if (context.item !== undefined) parts.push(`(${context.item})`);
    return parts.join(" ");
}

/** Base class of every failure of a doveadm request. */
export class DoveadmError extends Error {
    /** A stable machine-readable code, for example `DOVEADM_NOT_FOUND`. */
    readonly code: string;
    /** The command, user and mailbox the failure is about. */
    readonly context: ErrorContext;
    /** The doveadm exit code, when the server reported one. */
    readonly exitCode?: number;
    /** The HTTP status, when the failure was an HTTP one. */
    readonly httpStatus?: number;
    /** What happened, without the command and the advice. */
    readonly reason: string;
    /** What to do about it. */
    readonly hint: string;

    constructor(
        code: string,
        context: ErrorContext,
        reason: string,
        hint: string,
        options: DoveadmErrorOptions = {},
    ) {
        const actualHint = options.hint ?? hint;
        super(`${describeTarget(context)} failed: ${reason}. ${actualHint}`, { cause: options.cause });
        this.name = new.target.name;
        this.code = code;
        this.context = context;
        this.exitCode = options.exitCode;
        this.httpStatus = options.httpStatus;
        this.reason = reason;
        this.hint = actualHint;
    }

    /** The same failure reported for another request (a remembered fatal error, say), or other advice. */
    withContext(context: ErrorContext, hint: string = this.hint): DoveadmError {
        const Kind = this.constructor as new (
            code: string,
            context: ErrorContext,
            reason: string,
            hint: string,
            options?: DoveadmErrorOptions,
        ) => DoveadmError;
        return new Kind(this.code, context, this.reason, hint, {
            exitCode: this.exitCode,
            httpStatus: this.httpStatus,
            cause: this,
        });
    }

    /** True when retrying the same request later may succeed. */
    get retryable(): boolean {
        return false;
    }

    /** True when every further request to this endpoint is bound to fail the same way (stop the run). */
    get fatal(): boolean {
        return false;
    }
}

/** Exit 64 or an invalid request: the server rejected the parameters (an invalid mailbox name, say). */
export class DoveadmUsageError extends DoveadmError {}
/** Exit 65: the data conflicts with what exists (mailbox exists, not empty, INBOX). */
export class DoveadmConflictError extends DoveadmError {}
/** Exit 67: the user is not in the server's user database. */
export class DoveadmNoUserError extends DoveadmError {}
/** Exit 68: the mailbox does not exist. */
export class DoveadmNotFoundError extends DoveadmError {}
/** Exit 75: a temporary failure, such as a per-user lock timeout. Retried with backoff. */
export class DoveadmTemporaryError extends DoveadmError {
    override get retryable(): boolean {
        return true;
    }
}
/** Exit 73: the mailbox or message could not be created, usually because the user is over quota. */
export class DoveadmQuotaError extends DoveadmError {}
/** Exit 77: the server refused the operation for lack of permission on the mail storage. */
export class DoveadmPermissionError extends DoveadmError {}
/** Exits 66, 69-72, 74, 76 and 1003: the server failed for a reason only its log tells. */
export class DoveadmServerError extends DoveadmError {}

/** 401: the API key or password is wrong or missing. Stops the run. */
export class DoveadmAuthError extends DoveadmError {
    override get fatal(): boolean {
        return true;
    }
}
/** The server or these settings are misconfigured (exit 78, HTTP 500, HTTP 404, a bad setting). Stops the run. */
export class DoveadmConfigError extends DoveadmError {
    override get fatal(): boolean {
        return true;
    }
}
/** The command is not in the server's `doveadm_allowed_commands`, or the server does not know it. Stops the run. */
export class DoveadmCommandNotAllowedError extends DoveadmError {
    override get fatal(): boolean {
        return true;
    }
}
/** The server could not be reached: the request was never delivered, so it is safe to send again. */
export class DoveadmUnreachableError extends DoveadmError {
    override get retryable(): boolean {
        return true;
    }
}
/**
 * The request was sent but no answer came (connection closed, timeout): it may or may not have run.
 * A read is retried; a write only after re-reading the server's state.
 */
export class DoveadmUnknownOutcomeError extends DoveadmError {}
/**
 * True when a failure leaves unknown whether the request took effect: it was sent and no answer came,
 * it may not have arrived, or its retries for a temporary failure ran out.
 */
export function outcomeUnknown(error: unknown): boolean {
    return (
        error instanceof DoveadmUnknownOutcomeError ||
        error instanceof DoveadmUnreachableError ||
        error instanceof DoveadmTemporaryError
    );
}

/** The server answered something this client does not understand. */
export class DoveadmProtocolError extends DoveadmError {}
/**
 * A value read back from Pulumi's state that no program could have written (a user that is a
 * pattern, a malformed GUID): refused before anything is sent, since doveadm would act on it.
 */
export class DoveadmStateError extends DoveadmError {}

type ErrorClass = new (
    code: string,
    context: ErrorContext,
    reason: string,
    hint: string,
    options?: DoveadmErrorOptions,
) => DoveadmError;

interface ExitCodeEntry {
    code: string;
    kind: ErrorClass;
    reason: string;
    hint: string;
}

const CHECK_LOG =
    "Look at the Dovecot server's log (doveadm log errors) for the cause, fix it and run again.";

/** What each doveadm exit code means for this client (sysexits.h plus Dovecot's own). */
const EXIT_CODES: Record<number, ExitCodeEntry> = {
    64: {
        code: "DOVEADM_USAGE",
        kind: DoveadmUsageError,
        reason: "the server rejected the parameters, usually an invalid mailbox name (exit 64)",
        hint: "Check the mailbox name against the server's naming rules (no '.' with Maildir++ layout, no leading '~') and run again.",
    },
    65: {
        code: "DOVEADM_CONFLICT",
        kind: DoveadmConflictError,
        reason: "the request conflicts with the mailbox's current state (exit 65)",
        hint: "Check whether the mailbox already exists or still holds messages, then run again.",
    },
    66: {
        code: "DOVEADM_NO_INPUT",
        kind: DoveadmServerError,
        reason: "the server could not open its input (exit 66)",
        hint: CHECK_LOG,
    },
    67: {
        code: "DOVEADM_NO_USER",
        kind: DoveadmNoUserError,
        reason: "the user does not exist in the server's user database (exit 67)",
        hint: "Create the user on the server first, or correct the user name in the program.",
    },
    68: {
        code: "DOVEADM_NOT_FOUND",
        kind: DoveadmNotFoundError,
        reason: "the mailbox does not exist (exit 68)",
        hint: "Run `pulumi refresh` to update the state from the server, then run again.",
    },
    69: {
        code: "DOVEADM_UNAVAILABLE",
        kind: DoveadmServerError,
        reason: "a service the command needs is unavailable (exit 69)",
        hint: CHECK_LOG,
    },
    70: {
        code: "DOVEADM_SOFTWARE",
        kind: DoveadmServerError,
        reason: "the server hit an internal software error (exit 70)",
        hint: CHECK_LOG,
    },
    71: {
        code: "DOVEADM_OS_ERROR",
        kind: DoveadmServerError,
        reason: "the server hit an operating system error, such as failing to fork (exit 71)",
        hint: CHECK_LOG,
    },
    72: {
        code: "DOVEADM_OS_FILE",
        kind: DoveadmServerError,
        reason: "a file the server needs is missing (exit 72)",
        hint: CHECK_LOG,
    },
    73: {
        code: "DOVEADM_CANT_CREATE",
        kind: DoveadmQuotaError,
        reason: "the server could not create the mailbox or message, usually because the user is over quota (exit 73)",
        hint: "Raise the user's quota or free space, then run again.",
    },
    74: {
        code: "DOVEADM_IO_ERROR",
        kind: DoveadmServerError,
        reason: "the server hit an input/output error on the mail storage (exit 74)",
        hint: CHECK_LOG,
    },
    75: {
        code: "DOVEADM_TEMPORARY",
        kind: DoveadmTemporaryError,
        reason: "the server reported a temporary failure (exit 75): usually a busy mailbox lock, but Dovecot also answers 75 when its user lookup failed (for example a user database its auth process cannot read) or when the mail storage refused an operation for good (for example a name too long for the file system), and a Dovecot 2.4 proxy answers 75 when the user's backend cannot be reached",
        hint: "Look at the server's log (doveadm log errors) for the cause: if it was a lock, run again once other work on this user is done; if the user lookup failed, fix the user database (its file permissions, its connection) and run again; behind a proxy, check that the user's backend is running (the proxy's log names it).",
    },
    76: {
        code: "DOVEADM_PROTOCOL",
        kind: DoveadmServerError,
        reason: "the server reported a remote protocol error (exit 76)",
        hint: CHECK_LOG,
    },
    77: {
        code: "DOVEADM_NO_PERMISSION",
        kind: DoveadmPermissionError,
        reason: "the server lacks permission on the user's mail storage (exit 77)",
        hint: "Check the ownership and permissions of the user's mail folder on the server.",
    },
    78: {
        code: "DOVEADM_SERVER_CONFIG",
        kind: DoveadmConfigError,
        reason: "the server's configuration is invalid (exit 78)",
        hint: "Fix the Dovecot configuration (doveconf -n shows it), reload Dovecot and run again.",
    },
    1003: {
        code: "DOVEADM_EXPIRED",
        kind: DoveadmServerError,
        reason: "the requested contents are outdated (exit 1003)",
        hint: "Run again; if it persists, check the server's log.",
    },
};

/** The error for a doveadm exit code reported in a `["error", {...}]` response. */
export function errorForExitCode(exitCode: number, context: ErrorContext, hint?: string): DoveadmError {
    const entry = EXIT_CODES[exitCode];
    if (!entry) {
        return new DoveadmServerError(
            "DOVEADM_EXIT_CODE",
            context,
            `the server reported exit code ${exitCode}`,
            CHECK_LOG,
            {
                exitCode,
                hint,
            },
        );
    }
    return new entry.kind(entry.code, context, entry.reason, entry.hint, { exitCode, hint });
}

/** The stable codes of every exit code this client knows, for tests and documentation. */
export const KNOWN_EXIT_CODES: readonly number[] = Object.keys(EXIT_CODES).map(Number);

/** What is known of a request the server refused with an HTTP status. */
export interface HttpRefusal {
    /** The request body's size in bytes. */
    requestBytes: number;
    /** The server's answer, redacted and cut (see Transport), or "". */
    text: string;
}

/** A request this large may be over a server's limit (Dovecot 2.4 takes 32 KiB in one value). */
const LARGE_REQUEST_BYTES = 32_768;

/** The error for a non-200 HTTP answer. */
export function errorForHttpStatus(
    status: number,
    context: ErrorContext,
    endpoint: string,
    refusal: HttpRefusal = { requestBytes: 0, text: "" },
): DoveadmError {
    const said = refusal.text === "" ? "" : `: ${JSON.stringify(refusal.text)}`;
    const size = `${refusal.requestBytes.toLocaleString("en-US")} bytes`;
    switch (status) {
        case 401:
            return new DoveadmAuthError(
                "DOVEADM_AUTH",
                context,
                `the server at ${endpoint} rejected the credentials (HTTP 401)`,
                "Check dovecot:apiKey (or dovecot:password) against doveadm_api_key (or doveadm_password) on the server. If they were changed since the last `pulumi up`: `pulumi refresh` and `pulumi destroy` use the settings that run recorded, so run `pulumi up` first, or run them with --run-program.",
                { httpStatus: status },
            );
        case 400:
            if (
                refusal.requestBytes > LARGE_REQUEST_BYTES ||
                /excessive|too large|size/i.test(refusal.text)
            ) {
                return new DoveadmUsageError(
                    "DOVEADM_REQUEST_TOO_LARGE",
                    context,
                    `the server refused a request of ${size} (HTTP 400${said})`,
                    "A value is larger than the server takes (Dovecot 2.4 takes at most 32,768 bytes in one value over its HTTP API; the README lists the limits): make it smaller, or split it.",
                    { httpStatus: status },
                );
            }
            return new DoveadmUsageError(
                "DOVEADM_BAD_REQUEST",
                context,
                `the server could not parse the request (HTTP 400${said})`,
                "If a value holds characters Dovecot refuses (the README lists them), change it; otherwise this is a bug in pulumi-dovecot or a server it does not support: report it with the server's version.",
                { httpStatus: status },
            );
        case 413:
            return new DoveadmUsageError(
                "DOVEADM_REQUEST_TOO_LARGE",
                context,
                `the server refused a request of ${size} as too large (HTTP 413)`,
                "A value is larger than the server takes (Dovecot 2.3 takes at most 1,048,576 bytes in one request over its HTTP API, and a proxy in front of it may take less; the README lists the limits): make it smaller, or split it.",
                { httpStatus: status },
            );
        case 404:
            return new DoveadmConfigError(
                "DOVEADM_PATH_NOT_FOUND",
                context,
                `the server answered HTTP 404 for ${endpoint}: there is no doveadm HTTP API at that path`,
                "Set dovecot:endpoint to the doveadm HTTP listener, for example http://host:8080 (the path /doveadm/v1 is added when absent; a proxy prefix such as http://host/mail is kept).",
                { httpStatus: status },
            );
        case 500:
            return new DoveadmConfigError(
                "DOVEADM_SERVER_NOT_CONFIGURED",
                context,
                `the server at ${endpoint} failed internally (HTTP 500), usually because neither doveadm_api_key nor doveadm_password is set`,
                "Set doveadm_api_key (or doveadm_password) in the Dovecot configuration and reload it.",
                { httpStatus: status },
            );
        default:
            return new DoveadmProtocolError(
                "DOVEADM_HTTP_STATUS",
                context,
                `the server answered HTTP ${status}`,
                `Check that dovecot:endpoint (${endpoint}) points at the doveadm HTTP listener.`,
                { httpStatus: status },
            );
    }
}
