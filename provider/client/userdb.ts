// What a program may see of a user as the server's user database describes them (doveadm `user`):
// the userdb fields, as typed values, and never a password. A userdb is not meant to hold passwords,
// but it can: an SQL `user_query` copied from the passdb's returns the password column, a passwd-file's
// extra fields can carry one, and doveadm sends back whatever the userdb returned. So a field is dropped
// here, before anything else sees it, when its name says it is a secret or its value looks like a
// stored password, whatever the server sends. Pure functions: the command that reads the answer is in
// commands.ts.

/** A user as `getUser` returns them: the userdb's fields, the usual ones typed, secrets dropped. */
export interface UserInfo {
    /** The user's name as the user database spells it (its `user` field, else the name asked for). */
    user: string;
    /** The user's home directory on the server. */
    home?: string;
    /** The system uid the user's mail is accessed as (Dovecot resolves a name to its number). */
    uid?: number;
    /** The system gid the user's mail is accessed as. */
    gid?: number;
    /** The mail location (`maildir:~/Maildir`), as Dovecot 2.3 reports it; 2.4 reports `mail_path` and `mail_driver` instead, in `fields`. */
    mail?: string;
    /** The quota rules (`quota_rule`, `quota_rule2`, ...), in that order; empty when the userdb sets none. */
    quotaRules: string[];
    /** Every other userdb field, by its name, except the dropped ones (see SECRET_NAME_PARTS and looksLikePassword). */
    fields: Record<string, string>;
}

/**
 * Parts of a field's name (in any letter case) that make it dropped: `pass` (password, passdb_...),
 * `secret`, `credential`, `hash`, and `key` and `token` (mail-crypt's `mail_crypt_private_key`, an
 * OAuth2 token). A harmless field whose name holds one of them is dropped too; that is the safe side.
 */
export const SECRET_NAME_PARTS = ["pass", "secret", "credential", "hash", "key", "token"] as const;

/**
 * A stored password's form: a scheme prefix in braces (`{SHA512-CRYPT}...`, `{PLAIN}...`, `{plain}...`)
 * or a crypt(3) id between dollar signs (`$6$...`, `$2y$...`, `$y$...`, `$argon2id$...`), at the start
 * of the value or after a space, `=`, `:`, `,` or `;` (a value that packs several fields, say).
 */
const PASSWORD_FORM = /(?:^|[\s=:,;])(?:\{[A-Za-z0-9._-]+\}|\$[A-Za-z0-9-]+\$)/;

/** True when a field's value looks like a stored password (see PASSWORD_FORM). */
export function looksLikePassword(value: string): boolean {
    return PASSWORD_FORM.test(value);
}

/** True when a field must never leave the provider: its name says it is a secret, or its value looks like a password. */
export function isSecretField(name: string, value: string): boolean {
    const lower = name.toLowerCase();
    return SECRET_NAME_PARTS.some((part) => lower.includes(part)) || looksLikePassword(value);
}

/** `quota_rule`, `quota_rule2`, `quota_rule3`, ...: the position of a quota rule field, or undefined. */
function quotaRuleIndex(name: string): number | undefined {
    const match = /^quota_rule(\d*)$/.exec(name);
    if (!match) return undefined;
    return match[1] === "" ? 1 : Number(match[1]);
}

/** Why a uid or gid the server sent is not one, or undefined. */
function idProblem(value: string): string | undefined {
    return /^\d{1,10}$/.test(value) ? undefined : "must be a number";
}

/**
 * The user a userdb record describes, secrets dropped. `asked` is the name looked up; `record` the
 * fields the server sent for it, all strings. Throws (with the field's name, never its value) when
 * uid or gid is not a number.
 */
export function userInfoOf(asked: string, record: Readonly<Record<string, string>>): UserInfo {
    const info: UserInfo = { user: asked, quotaRules: [], fields: {} };
    const rules: Array<[number, string]> = [];
    for (const [name, value] of Object.entries(record)) {
        if (isSecretField(name, value)) continue;
        const rule = quotaRuleIndex(name);
        if (rule !== undefined) {
            rules.push([rule, value]);
            continue;
        }
        switch (name) {
            case "user":
                info.user = value;
                break;
            case "home":
                info.home = value;
                break;
            case "mail":
                info.mail = value;
                break;
            case "uid":
            case "gid": {
                const problem = idProblem(value);
                if (problem) throw new UserFieldError(name, problem);
                info[name] = Number(value);
                break;
            }
            default:
                info.fields[name] = value;
        }
    }
    info.quotaRules = rules.sort(([a], [b]) => a - b).map(([, value]) => value);
    return info;
}

/** A userdb field the server sent in a form no userdb gives (its name, never its value). */
export class UserFieldError extends Error {
    constructor(
        /** The field's name. */
        readonly field: string,
        /** What is wrong with it. */
        readonly problem: string,
    ) {
        super(`${field} ${problem}`);
        this.name = "UserFieldError";
    }
}
