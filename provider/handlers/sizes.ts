// Values that may be larger than a server takes (a Sieve script, a METADATA value), checked against
// the limits of the server's Dovecot version (see limits.ts): in check(), so that `preview` fails, and
// again just before sending. The version is asked of the server only for a value large enough for it
// to matter; when it cannot be learned in check(), the check waits for the apply.
import { DoveadmError, DoveadmUsageError, ErrorContext } from "../client/errors";
import { clientFor } from "../connection";
import { API_LIMITS, sizeProblem } from "../limits";

/** The smallest limit of any version on one value: below it, no version refuses a request for size. */
const SMALLEST = Math.min(
    ...Object.values(API_LIMITS).flatMap((l) => [l.stringBytes ?? Infinity, l.requestBytes ?? Infinity]),
);

/** A parameter as messages name it: `file` is the script, `value` the value. */
function label(param: string): string {
    return param === "file" ? "the script" : `the ${param}`;
}

/**
 * Why `command` with `params` is more than the server of `server` takes, or undefined (also when the
 * server's version cannot be learned now: `strict` then throws what prevented it).
 */
export async function oversize(
    server: string | undefined,
    command: string,
    params: Record<string, unknown>,
    strict = false,
): Promise<string | undefined> {
    const large = Object.values(params).some(
        (value) => typeof value === "string" && Buffer.byteLength(value, "utf8") > SMALLEST,
    );
    if (!large) return undefined;
    let version;
    try {
        version = (await clientFor(server).profile()).version;
    } catch (error) {
        if (strict || (error instanceof DoveadmError && error.fatal)) throw error;
        return undefined;
    }
    return sizeProblem(version, command, params, label);
}

/** Throws, before anything is sent, when `command` with `params` is more than the server takes. */
export async function refuseOversize(
    server: string | undefined,
    command: string,
    params: Record<string, unknown>,
    context: ErrorContext,
): Promise<void> {
    const problem = await oversize(server, command, params, true);
    if (problem === undefined) return;
    throw new DoveadmUsageError(
        "DOVEADM_TOO_LARGE",
        context,
        `${problem}; nothing was sent`,
        "Make it smaller (a Sieve script can include others), then run again.",
    );
}
