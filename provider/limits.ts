// What the doveadm HTTP API of each Dovecot version takes, measured on 2.3.19.1 and 2.4.1
// (test/server/limits-harness.test.ts records each limit and what the server answers beyond it).
// Values are checked against these before anything is sent, in check() when the server's version is
// known (so `preview` fails), else just before sending; a server that refuses a large request anyway
// (HTTP 400 or 413) is reported as refusing its size, not as a bug.
import { DovecotVersion } from "./client/commands";

/** The limits of one Dovecot version's doveadm HTTP API. */
export interface ApiLimits {
    /** The most bytes (UTF-8) in one string parameter; beyond, HTTP 400 "Excessive string size". */
    stringBytes?: number;
    /** The most bytes in a request's body; beyond, HTTP 413. */
    requestBytes?: number;
}

/** The limits by version. */
export const API_LIMITS: Readonly<Record<DovecotVersion, ApiLimits>> = {
    "2.3": { requestBytes: 1_048_576 },
    "2.4": { stringBytes: 32_768 },
};

/**
 * The largest Sieve script stored, in bytes: Pigeonhole's default `sieve_max_script_size` (1M on 2.3
 * and 2.4); a server set lower refuses larger scripts with exit 65.
 */
export const SIEVE_MAX_SCRIPT_BYTES = 1_048_576;

/**
 * The longest Sieve script name, in UTF-8 bytes. Pigeonhole stores a script through a temporary file
 * `<name>_<secs>.M<usecs>P<pid>.<host>.sieve`, whose name must fit in 255 bytes: about 221 bytes of
 * name with a two-letter host name. 128 leaves room for a host name of 90 characters.
 */
export const SIEVE_NAME_MAX_BYTES = 128;

/** The length of the longest request tag this client sends (`pd` and a counter), with room to spare. */
const TAG_ALLOWANCE = 24;

/** `n` bytes, written for people. */
export function bytes(n: number): string {
    return `${n.toLocaleString("en-US")} bytes`;
}

/**
 * Why a command with these parameters is more than `version`'s API takes, or undefined: a string
 * parameter over 2.4's limit, a request over 2.3's. `label` names each parameter as a message reads it.
 */
export function sizeProblem(
    version: DovecotVersion,
    command: string,
    params: Record<string, unknown>,
    label: (param: string) => string,
): string | undefined {
    const limits = API_LIMITS[version];
    if (limits.stringBytes !== undefined) {
        for (const [param, value] of Object.entries(params)) {
            if (typeof value !== "string") continue;
            const size = Buffer.byteLength(value, "utf8");
            if (size > limits.stringBytes)
                return `${label(param)} is ${bytes(size)}, and Dovecot ${version} takes at most ${bytes(limits.stringBytes)} in one value over its HTTP API`;
        }
    }
    if (limits.requestBytes !== undefined) {
        const body = JSON.stringify([[command, params, ""]]);
        const size = Buffer.byteLength(body, "utf8") + TAG_ALLOWANCE;
        if (size > limits.requestBytes) {
            const largest = Object.entries(params)
                .filter(([, value]) => typeof value === "string")
                .sort(([, a], [, b]) => (b as string).length - (a as string).length)[0]?.[0];
            return `${largest ? label(largest) : "the request"} makes a request of ${bytes(size)}, and Dovecot ${version} takes at most ${bytes(limits.requestBytes)} in one request over its HTTP API`;
        }
    }
    return undefined;
}

/**
 * Why `text` cannot be sent as a value, or undefined: a NUL (every version refuses it) or half of a
 * surrogate pair (not UTF-8).
 */
export function characterProblem(text: string): string | undefined {
    if (text.includes("\u0000")) return "holds a NUL character, which Dovecot's HTTP API refuses";
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text))
        return "holds half of a UTF-16 surrogate pair, which is not text";
    return undefined;
}

/**
 * Whether `sieveGet` gives a script back intact: Dovecot sends a script in pieces of 8 KiB, and a
 * multibyte character across the end of a piece comes back broken (2.3: as U+FFFD) or not at all (2.4:
 * the process dies), so a script with one is not read back.
 */
export function sieveReadable(script: string): boolean {
    const data = Buffer.from(script, "utf8");
    for (let end = 8192; end < data.length; end += 8192) {
        // A continuation byte (10xxxxxx) right after the cut means a character spans it.
        if (((data[end] as number) & 0xc0) === 0x80) return false;
    }
    return true;
}
