// Rules for mailbox and user names, checked before any request is sent. They reject what no Dovecot
// storage accepts, or what would make a doveadm command act on more than the one mailbox or user
// meant (wildcards), and explain why. Storage-specific rules (a '.' with the Maildir++ layout) are
// left to the server, whose refusal (exit 64) is reported with the same advice.
import { z } from "zod";

/** The longest mailbox name accepted, in bytes of its modified UTF-7 form (a file name is at most 255). */
export const MAX_MAILBOX_NAME_BYTES = 250;
/** The longest user name accepted, in UTF-8 bytes. */
export const MAX_USER_BYTES = 255;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True for INBOX in any letter case: IMAP treats every spelling as the same mailbox. */
export function isInbox(name: string): boolean {
    return name.toUpperCase() === "INBOX";
}

/**
 * `name` with its first level spelled `INBOX` when it is INBOX in any letter case: Dovecot stores
 * and lists `inbox/x` and `Inbox/x` as `INBOX/x`, so names are compared in this form everywhere.
 */
export function canonicalName(name: string, separator: string): string {
    const cut = name.indexOf(separator);
    const first = cut < 0 ? name : name.slice(0, cut);
    return isInbox(first) && first !== "INBOX" ? `INBOX${name.slice(first.length)}` : name;
}

/** True when `name` lies below `ancestor` in the hierarchy (`A/B/C` is within `A`). */
export function isWithin(name: string, ancestor: string, separator: string): boolean {
    return name.startsWith(`${ancestor}${separator}`);
}

/** Where the folder `name` is once `from` is renamed to `to` (a rename carries the children along). */
export function movedName(name: string, from: string, to: string, separator: string): string {
    if (name === from) return to;
    return isWithin(name, from, separator) ? `${to}${name.slice(from.length)}` : name;
}

/**
 * Why renaming `from` to `to` would fail for one of the mailboxes it moves (`from` itself and every
 * name below it in `names`, which a rename carries along), or undefined. Dovecot renames the parent
 * first and fails on a child whose new name is too long, leaving the rename half done.
 */
export function renameProblem(
    names: readonly string[],
    from: string,
    to: string,
    separator: string,
): string | undefined {
    for (const name of names) {
        if (name !== from && !isWithin(name, from, separator)) continue;
        const moved = movedName(name, from, to, separator);
        const problem = mailboxNameProblem(moved, separator);
        if (problem) {
            return name === from
                ? `the new name ${problem}`
                : `it would move the subfolder ${JSON.stringify(name)} to ${JSON.stringify(moved)}, whose name ${problem}`;
        }
    }
    return undefined;
}

/** The length of a name in IMAP's modified UTF-7 (RFC 3501 5.1.3), the form Dovecot stores on disk. */
export function modifiedUtf7Length(name: string): number {
    let length = 0;
    let run = 0; // UTF-16 code units in the current base64 run
    const flush = () => {
        if (run > 0) length += 2 + Math.ceil((run * 16) / 6); // '&' + base64 + '-'
        run = 0;
    };
    for (let i = 0; i < name.length; i++) {
        const unit = name.charCodeAt(i);
        if (unit >= 0x20 && unit <= 0x7e) {
            flush();
            length += unit === 0x26 ? 2 : 1; // '&' is written '&-'
        } else run++;
    }
    flush();
    return length;
}

/** Why a mailbox name is not accepted, or undefined when it is. */
export function mailboxNameProblem(name: string, separator: string): string | undefined {
    if (name.length === 0) return "must not be empty";
    if (LONE_SURROGATE.test(name)) return "must be valid Unicode text";
    if (CONTROL.test(name)) return "must not contain control characters (such as tabs or newlines)";
    if (name.includes("*") || name.includes("%")) {
        return "must not contain the wildcards '*' or '%': doveadm would apply the command to every matching mailbox";
    }
    if (name.startsWith(separator)) return `must not start with the hierarchy separator '${separator}'`;
    if (name.endsWith(separator)) return `must not end with the hierarchy separator '${separator}'`;
    const levels = name.split(separator);
    if (levels.some((level) => level.length === 0)) {
        return `must not contain adjacent hierarchy separators '${separator}${separator}'`;
    }
    for (const level of levels) {
        if (level === "." || level === "..") return `must not contain a level named '${level}'`;
        if (level.startsWith("~"))
            return "must not have a level starting with '~' (Dovecot reserves it for home directories)";
        if (level.trim() !== level) {
            return `must not have a level with leading or trailing spaces ('${level}'): mail clients show them as a different folder`;
        }
    }
    if (modifiedUtf7Length(name) > MAX_MAILBOX_NAME_BYTES) {
        return `is too long: at most ${MAX_MAILBOX_NAME_BYTES} bytes in IMAP's modified UTF-7 form (non-ASCII characters take more)`;
    }
    return undefined;
}

/** Why a user name is not accepted, or undefined when it is. */
export function userProblem(user: string): string | undefined {
    if (user.length === 0) return "must not be empty";
    if (LONE_SURROGATE.test(user)) return "must be valid Unicode text";
    if (CONTROL.test(user)) return "must not contain control characters";
    if (/\s/u.test(user)) return "must not contain spaces";
    if (user.includes("*") || user.includes("?")) {
        return "must not contain the wildcards '*' or '?': doveadm would run the command for every matching user";
    }
    if (Buffer.byteLength(user, "utf8") > MAX_USER_BYTES)
        return `is too long: at most ${MAX_USER_BYTES} bytes`;
    return undefined;
}

/**
 * Why `mask` cannot select users to list, or undefined. A mask is a user name with the wildcards `*`
 * (any run of characters) and `?` (one character), which Dovecot matches without regard to letter case;
 * one without a wildcard would look one user up instead of listing (that is getUser).
 */
export function userMaskProblem(mask: string): string | undefined {
    if (mask.length === 0) return "must not be empty";
    if (LONE_SURROGATE.test(mask)) return "must be valid Unicode text";
    if (CONTROL.test(mask)) return "must not contain control characters";
    if (/\s/u.test(mask)) return "must not contain spaces";
    if (!mask.includes("*") && !mask.includes("?"))
        return "must contain a wildcard ('*' or '?'): a mask without one names a single user, which getUser looks up";
    if (Buffer.byteLength(mask, "utf8") > MAX_USER_BYTES)
        return `is too long: at most ${MAX_USER_BYTES} bytes`;
    return undefined;
}

/** A zod schema for a user name. */
export const userSchema = z.string().superRefine((value, ctx) => {
    const problem = userProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * `make` remembered per separator (a process meets one or two): the schemas made from a separator are
 * immutable, and zod compiles each one's parser on its first use, so a schema made anew per call (per
 * resource of a fleet) costs that compile every time.
 */
export function perSeparator<T>(make: (separator: string) => T): (separator: string) => T {
    const made = new Map<string, T>();
    return (separator) => {
        let value = made.get(separator);
        if (value === undefined) {
            value = make(separator);
            made.set(separator, value);
        }
        return value;
    };
}

const mailboxNameSchemas = perSeparator((separator: string) =>
    z
        .string()
        .superRefine((value, ctx) => {
            const problem = mailboxNameProblem(value, separator);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .transform((value) => canonicalName(value, separator)),
);

/** A zod schema for a mailbox name with the given hierarchy separator, in canonical form (see canonicalName). */
export function mailboxNameSchema(separator: string) {
    return mailboxNameSchemas(separator);
}
