// Typed commands of Dovecot's plugins: Sieve (Pigeonhole), ACL, mailbox METADATA and quota. Their
// arguments are checked before sending: a right, id, script name or metadata key the server cannot
// parse kills its doveadm process, which answers nothing (seen live on 2.3 and 2.4), and a missing
// answer to a write would read as an unknown outcome.
import { z } from "zod";
import { checkUser, params, parseRows } from "./commands";
import { DoveadmUsageError, ErrorContext } from "./errors";
import { CommandTarget } from "./commands";
import { Request } from "./transport";
import { SIEVE_NAME_MAX_BYTES, characterProblem } from "../limits";

// ---- What the server accepts, checked before sending. ----

/** True when `text` holds a control character (C0 or DEL). */
function hasControl(text: string): boolean {
    return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

/** Dovecot's ACL right names (RFC 4314 rights in Dovecot's spelling). */
export const ACL_RIGHTS = [
    "lookup",
    "read",
    "write",
    "write-seen",
    "write-deleted",
    "insert",
    "post",
    "expunge",
    "create",
    "delete",
    "admin",
] as const;

/** Why `id` is not an ACL identifier Dovecot takes, or undefined. */
export function aclIdentifierProblem(id: string): string | undefined {
    if (["anyone", "authenticated", "owner"].includes(id)) return undefined;
    const match = /^(user|group|group-override)=(.+)$/.exec(id);
    if (!match) {
        return "must be anyone, authenticated, owner, user=<name>, group=<name> or group-override=<name> (as Dovecot spells them)";
    }
    const name = match[2] ?? "";
    if (/[\s*%?]/.test(name) || hasControl(name))
        return "must not hold spaces, control characters or the wildcards * % ?";
    return undefined;
}

/** Why `rights` are not a right list Dovecot takes, or undefined. */
export function aclRightsProblem(rights: readonly string[]): string | undefined {
    if (rights.length === 0)
        return "must name at least one right (to take every right away, remove the MailboxAcl)";
    const unknown = rights.filter((r) => !(ACL_RIGHTS as readonly string[]).includes(r));
    if (unknown.length > 0)
        return `has unknown right(s) ${unknown.map((r) => JSON.stringify(r)).join(", ")}; the rights are ${ACL_RIGHTS.join(", ")}`;
    return undefined;
}

/** The rights in the order Dovecot reports them (sorted by name), each once. */
export function normalizeRights(rights: readonly string[]): string[] {
    return [...new Set(rights)].sort();
}

/**
 * Characters Pigeonhole refuses in a script name (its process dies, answering nothing; seen on 2.3 and
 * 2.4): C0 and C1 controls, DEL, U+00FF, U+2028 and U+2029.
 */
// eslint-disable-next-line no-control-regex
const SIEVE_NAME_REFUSED = /[\u0000-\u001f\u007f-\u009f\u00ff\u2028\u2029]/u;

/** Why `name` is not a Sieve script name the file storage takes, or undefined. */
export function sieveNameProblem(name: string): string | undefined {
    if (name.length === 0) return "must not be empty";
    const size = Buffer.byteLength(name, "utf8");
    if (size > SIEVE_NAME_MAX_BYTES)
        return `must be at most ${SIEVE_NAME_MAX_BYTES} bytes of UTF-8 (it is ${size}): the server stores a script through a file named after it, and a file name is at most 255 bytes`;
    if (name.includes("/")) return "must not contain '/'";
    if (name.startsWith(".")) return "must not start with '.'";
    if (SIEVE_NAME_REFUSED.test(name))
        return "must not contain control characters, U+00FF (ÿ), U+2028 or U+2029, which Dovecot refuses in script names";
    if (characterProblem(name)) return `must not hold what is not text (${characterProblem(name)})`;
    return undefined;
}

/**
 * Why `key` is not a METADATA entry name that can be set (RFC 5464 in Dovecot), or undefined. At the
 * user level (no mailbox) only `/private/...` can be set: `/shared/...` there is server metadata.
 */
export function metadataKeyProblem(key: string, userLevel: boolean): string | undefined {
    const match = /^\/(private|shared)\/(.+)$/.exec(key);
    if (!match)
        return "must start with /private/ or /shared/ and name an entry below it, such as /private/comment";
    if (userLevel && match[1] === "shared")
        return "must be under /private/ at the user level (no mailbox): /shared/ there is the server's metadata";
    const rest = match[2] ?? "";
    if (rest.endsWith("/") || rest.includes("//")) return "must not end with '/' or contain '//'";
    if (/[*%]/.test(rest) || hasControl(rest)) return "must not contain control characters, * or %";
    if (/^specialuse$/i.test(rest) && match[1] === "private")
        return "/private/specialuse is read-only here: special-use comes from the server's configuration";
    if (/^vendor\/vendor\.dovecot\//i.test(rest))
        return "must not be under vendor/vendor.dovecot/, which is Dovecot's own";
    return undefined;
}

function refuse(context: ErrorContext, what: string, problem: string | undefined): void {
    if (problem === undefined) return;
    throw new DoveadmUsageError(
        "DOVEADM_INVALID_ARGUMENT",
        context,
        `the ${what} ${problem}; nothing was sent`,
        "Correct it in the program (or in the state, if it came from there) and run again.",
    );
}

function write<T = void>(
    command: string,
    values: Record<string, unknown>,
    context: ErrorContext,
): Request<T> {
    return {
        command,
        params: params(values),
        context,
        write: true,
        // Each of these sets a value: sending it twice has the same effect.
        repeatable: true,
        parse: () => undefined as T,
    };
}

function read<T>(
    command: string,
    values: Record<string, unknown>,
    context: ErrorContext,
    parse: (rows: Array<Record<string, string>>) => T,
): Request<T> {
    return { command, params: params(values), context, write: false, repeatable: true, parse };
}

async function send<T>(target: CommandTarget, user: string, request: Request<T>): Promise<T> {
    checkUser(user, request.context);
    return target.transport.run(request);
}

// ---- Sieve ----

/** One of a user's Sieve scripts. */
export interface SieveScriptInfo {
    /** The script's name. */
    name: string;
    /** Whether it is the user's active script. */
    active: boolean;
}

const sieveListRow = z.object({ script: z.string(), active: z.string() });
const sieveGetRow = z.object({ "sieve script": z.string() });

/** The user's Sieve scripts and which one is active. */
export function sieveList(target: CommandTarget, user: string): Promise<SieveScriptInfo[]> {
    const context = { command: "sieveList", user };
    return send(
        target,
        user,
        read("sieveList", { user }, context, (rows) =>
            parseRows(rows, sieveListRow, context).map((r) => ({
                name: r.script,
                active: r.active === "ACTIVE",
            })),
        ),
    );
}

/** The text of one script, or undefined when there is none of that name. */
export function sieveGet(target: CommandTarget, user: string, name: string): Promise<string | undefined> {
    const context = { command: "sieveGet", user, item: `Sieve script ${JSON.stringify(name)}` };
    refuse(context, "script name", sieveNameProblem(name));
    return send(target, user, {
        ...read("sieveGet", { user, scriptname: name }, context, (rows) => {
            const [row] = parseRows(rows, sieveGetRow, context);
            return row?.["sieve script"];
        }),
        absent: { value: undefined },
    });
}

/** Stores a script (compiled by the server first: exit 65 if it does not compile); `activate` makes it the active one. */
export function sievePut(
    target: CommandTarget,
    user: string,
    name: string,
    script: string,
    options: { activate: boolean },
): Promise<void> {
    const context = { command: "sievePut", user, item: `Sieve script ${JSON.stringify(name)}` };
    refuse(context, "script name", sieveNameProblem(name));
    return send(
        target,
        user,
        write("sievePut", { user, scriptname: name, file: script, activate: options.activate }, context),
    );
}

/** Makes a script the user's active one (the previous one is no longer active). */
export function sieveActivate(target: CommandTarget, user: string, name: string): Promise<void> {
    const context = { command: "sieveActivate", user, item: `Sieve script ${JSON.stringify(name)}` };
    refuse(context, "script name", sieveNameProblem(name));
    return send(target, user, write("sieveActivate", { user, scriptname: name }, context));
}

/** Leaves the user with no active script. */
export function sieveDeactivate(target: CommandTarget, user: string): Promise<void> {
    return send(target, user, write("sieveDeactivate", { user }, { command: "sieveDeactivate", user }));
}

/** Renames a script (an active one stays active). Exit 65 if `to` exists, 68 if `from` does not. */
export function sieveRename(target: CommandTarget, user: string, from: string, to: string): Promise<void> {
    const context = {
        command: "sieveRename",
        user,
        item: `Sieve script ${JSON.stringify(from)} to ${JSON.stringify(to)}`,
    };
    refuse(context, "script name", sieveNameProblem(from) ?? sieveNameProblem(to));
    return send(target, user, {
        ...write("sieveRename", { user, oldname: from, newname: to }, context),
        repeatable: false,
    });
}

/** Deletes a script; the active one only with `ignoreActive` (the user then has none active). */
export function sieveDelete(
    target: CommandTarget,
    user: string,
    name: string,
    options: { ignoreActive: boolean },
): Promise<void> {
    const context = { command: "sieveDelete", user, item: `Sieve script ${JSON.stringify(name)}` };
    refuse(context, "script name", sieveNameProblem(name));
    return send(target, user, {
        ...write("sieveDelete", { user, scriptname: [name], ignoreActive: options.ignoreActive }, context),
        absent: { value: undefined },
    });
}

// ---- ACL ----

/** One entry of a mailbox's ACL. */
export interface AclEntry {
    /** `user=bob@example.org`, `group=staff`, `anyone`, `authenticated`, `owner`. */
    id: string;
    /** Right names, sorted. */
    rights: string[];
    /** True for an entry from the global ACL (configuration), which the mailbox's own ACL cannot change. */
    global: boolean;
}

const aclRow = z.object({ id: z.string(), global: z.string().optional(), rights: z.string() });

/** The mailbox's ACL. Exit 68 if the mailbox does not exist. */
export function aclGet(target: CommandTarget, user: string, mailbox: string): Promise<AclEntry[]> {
    const context = { command: "aclGet", user, mailbox };
    return send(
        target,
        user,
        read("aclGet", { user, mailbox }, context, (rows) =>
            parseRows(rows, aclRow, context).map((r) => ({
                id: r.id,
                rights: normalizeRights(r.rights.split(/\s+/).filter((x) => x.length > 0)),
                global: r.global !== undefined && r.global !== "",
            })),
        ),
    );
}

/** Sets the rights of one identifier on a mailbox (replacing its previous rights). */
export function aclSet(
    target: CommandTarget,
    user: string,
    mailbox: string,
    id: string,
    rights: readonly string[],
): Promise<void> {
    const context = { command: "aclSet", user, mailbox, item: `ACL identifier ${JSON.stringify(id)}` };
    refuse(context, "identifier", aclIdentifierProblem(id));
    refuse(context, "right list", aclRightsProblem(rights));
    return send(
        target,
        user,
        write("aclSet", { user, mailbox, id, right: normalizeRights(rights) }, context),
    );
}

/** Removes one identifier's entry from a mailbox's ACL (none there: nothing happens). */
export function aclDelete(target: CommandTarget, user: string, mailbox: string, id: string): Promise<void> {
    const context = { command: "aclDelete", user, mailbox, item: `ACL identifier ${JSON.stringify(id)}` };
    refuse(context, "identifier", aclIdentifierProblem(id));
    return send(target, user, write("aclDelete", { user, mailbox, id }, context));
}

// ---- METADATA ----

const valueRow = z.object({ value: z.string() });

/**
 * The context of a METADATA command, after checking its key: where, and the parameters every one of
 * them takes (the user level is the empty mailbox name, which needs allowEmptyMailboxName).
 */
function metadataTarget(command: string, user: string, mailbox: string, key: string) {
    const context = {
        command,
        user,
        mailbox: mailbox === "" ? undefined : mailbox,
        item: `METADATA key ${JSON.stringify(key)}`,
    };
    refuse(context, "key", metadataKeyProblem(key, mailbox === ""));
    return { context, values: { user, mailbox, key, allowEmptyMailboxName: mailbox === "" } };
}

/**
 * One METADATA entry's value; an empty mailbox name is the user-level entry. Dovecot answers an
 * unset entry as the empty value, so an empty string means "not set".
 */
export function metadataGet(
    target: CommandTarget,
    user: string,
    mailbox: string,
    key: string,
): Promise<string> {
    const { context, values } = metadataTarget("mailboxMetadataGet", user, mailbox, key);
    return send(
        target,
        user,
        read(
            "mailboxMetadataGet",
            values,
            context,
            (rows) => parseRows(rows, valueRow, context)[0]?.value ?? "",
        ),
    );
}

/** Sets one METADATA entry (see metadataGet for the empty mailbox name). */
export function metadataSet(
    target: CommandTarget,
    user: string,
    mailbox: string,
    key: string,
    value: string,
): Promise<void> {
    const { context, values } = metadataTarget("mailboxMetadataSet", user, mailbox, key);
    return send(target, user, write("mailboxMetadataSet", { ...values, value }, context));
}

/** Removes one METADATA entry. */
export function metadataUnset(
    target: CommandTarget,
    user: string,
    mailbox: string,
    key: string,
): Promise<void> {
    const { context, values } = metadataTarget("mailboxMetadataUnset", user, mailbox, key);
    return send(target, user, write("mailboxMetadataUnset", values, context));
}

// ---- Quota ----

/** One quota resource of one quota root, as `quotaGet` reports it. */
export interface QuotaUsage {
    /** The quota root's name, for example `User quota`. */
    root: string;
    /** `STORAGE` (in KiB) or `MESSAGE` (a count). */
    type: string;
    /** What is used. */
    value: number;
    /** The limit, or undefined when there is none. */
    limit: number | undefined;
    /** The percentage of the limit used. */
    percent: number;
}

const number = z
    .string()
    .regex(/^-?\d{1,20}$/, "must be a number")
    .transform(Number);
const quotaRow = z.object({
    root: z.string(),
    type: z.string(),
    value: number,
    limit: z.union([z.literal("-"), number]).transform((v) => (v === "-" ? undefined : v)),
    percent: number,
});

/** The user's quota usage and limits. */
export function quotaGet(target: CommandTarget, user: string): Promise<QuotaUsage[]> {
    const context = { command: "quotaGet", user };
    return send(
        target,
        user,
        read("quotaGet", { user }, context, (rows) => parseRows(rows, quotaRow, context)),
    );
}
