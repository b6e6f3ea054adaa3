// `pulumi import <type> <name> <id>` for every resource kind of the `dovecot` package, with ids a person
// can type: the engine calls read with the id and no properties, and stores what read returns, id
// included. Each kind's id names what the server knows it by (for a Mailbox `<user>/<mailbox name>`,
// whose read answers with the mailbox's GUID as the id). Imports address the provider's own server
// (an explicit provider instance for another one); every argument is checked before anything is sent.
import { DoveadmClient, UserSnapshot } from "../client/client";
import { DoveadmNotFoundError, DoveadmUsageError } from "../client/errors";
import { clientFor, serverIdentity } from "../connection";
import { sameAccount } from "../handlers/accounts";
import { ResourceKind } from "../dispatcher";
import { canonicalName, mailboxNameProblem, userProblem } from "../names";
import { aclIdentifierProblem, metadataKeyProblem, sieveNameProblem } from "../client/plugins";
import { sieveReadable } from "../limits";

/** What read returns for an imported resource. */
export interface Imported {
    id: string;
    props: Record<string, unknown>;
    inputs: Record<string, unknown>;
    /** What the person importing should know (said as warnings): another spelling of the same thing. */
    warnings?: string[];
}

/**
 * Warnings for an id that names something in another spelling than the server's: INBOX in another
 * letter case, or a user name that the server's user database folds to another one. Importing the
 * same thing twice under two spellings records it twice, which nothing else can see (an import reads
 * only what it imports), so say it when it may have happened.
 */
async function spellingWarnings(
    kind: ResourceKind,
    client: DoveadmClient,
    user: string,
    typed: string | undefined,
    canonical: string | undefined,
): Promise<string[]> {
    const warnings: string[] = [];
    const what = TYPES[kind];
    if (typed !== undefined && canonical !== undefined && typed !== canonical) {
        warnings.push(
            `${what} import: ${JSON.stringify(typed)} is ${JSON.stringify(canonical)} (INBOX in any letter case is INBOX) and is recorded so; if this stack already manages ${JSON.stringify(canonical)} of this user, it is now recorded twice: remove one with \`pulumi state delete\`.`,
        );
    }
    const lower = user.toLowerCase();
    if (lower !== user && (await sameAccount(client, user, lower).catch(() => false))) {
        warnings.push(
            `${what} import: the server's user database knows ${JSON.stringify(user)} and ${JSON.stringify(lower)} as one account; if this stack already manages this under ${JSON.stringify(lower)} (or another spelling), it is now recorded twice: remove one with \`pulumi state delete\`, and keep one spelling in the program.`,
        );
    }
    return warnings;
}

/** The id forms, by kind, for messages and the README. */
export const IMPORT_IDS: Readonly<Record<ResourceKind, string>> = {
    mailbox: "<user>/<mailbox name>, such as alice@example.org/Archive/2026",
    folders: "<user>: every mailbox of the user but INBOX, such as alice@example.org",
    subscription: "<user>/<mailbox name>, such as alice@example.org/Shared/Team",
    reload: "any name, such as config (nothing is read: the reload is recorded as done)",
    sieve: "<user>/<script name>, such as alice@example.org/filters",
    acl: "<user>/<mailbox name>/<identifier>, such as alice@example.org/Team/user=bob@example.org",
    metadata:
        "<user>/<mailbox name>/<key>, such as alice@example.org/Team//shared/comment, or <user>//<key> for the user level, such as alice@example.org//private/comment",
};

/** Each kind's resource type, as a program names it. */
const TYPES: Readonly<Record<ResourceKind, string>> = {
    mailbox: "Mailbox",
    folders: "FolderSet",
    subscription: "Subscription",
    reload: "Reload",
    sieve: "SieveScript",
    acl: "MailboxAcl",
    metadata: "MailboxMetadata",
};

function refuse(kind: ResourceKind, id: string, problem: string): never {
    throw new DoveadmUsageError(
        "DOVEADM_IMPORT_ID",
        { command: `import ${TYPES[kind]}`, item: `id ${JSON.stringify(id.slice(0, 200))}` },
        `${problem}; nothing was sent`,
        `Import a ${TYPES[kind]} by ${IMPORT_IDS[kind]}.`,
    );
}

/** Splits `<user>/<rest>` and checks the user. */
function userAnd(kind: ResourceKind, id: string): [string, string] {
    const cut = id.indexOf("/");
    if (cut <= 0) refuse(kind, id, "the id does not start with a user name and '/'");
    const user = id.slice(0, cut);
    const problem = userProblem(user);
    if (problem) refuse(kind, id, `the user name ${problem}`);
    return [user, id.slice(cut + 1)];
}

function mailboxOf(kind: ResourceKind, id: string, name: string, separator: string): string {
    const problem = mailboxNameProblem(name, separator);
    if (problem) refuse(kind, id, `the mailbox name ${problem}`);
    return canonicalName(name, separator);
}

function notFound(
    kind: ResourceKind,
    user: string,
    what: string,
    names: readonly string[] = [],
    wanted?: string,
): never {
    // A name that differs only in its Unicode form (say "Ä" as one code point or as "A" and a combining
    // mark) looks the same in a message: say so, and which form the server has.
    const twin =
        wanted === undefined
            ? undefined
            : names.find((name) => name !== wanted && name.normalize("NFC") === wanted.normalize("NFC"));
    const form = (text: string) =>
        text === text.normalize("NFC")
            ? "NFC, composed"
            : text === text.normalize("NFD")
              ? "NFD, decomposed"
              : "mixed";
    throw new DoveadmNotFoundError(
        "DOVEADM_IMPORT_NOT_FOUND",
        { command: `import ${TYPES[kind]}`, user },
        twin === undefined
            ? `the server has no ${what}; nothing was imported`
            : `the server has no ${what} in the Unicode form the id uses (${form(wanted as string)}), but has ${JSON.stringify(twin)} in another form (${form(twin)}), which reads the same; nothing was imported`,
        twin === undefined
            ? "Check the id (the user, the name and its letter case), or create it by declaring the resource instead."
            : `Import it by the server's form of the name: ${JSON.stringify(twin)} (code points ${[...twin].map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`).join(" ")}).`,
    );
}

function counters(status: UserSnapshot["mailboxes"][number]) {
    return {
        guid: status.guid,
        messages: status.messages,
        unseen: status.unseen,
        uidValidity: status.uidValidity,
        uidNext: status.uidNext,
        highestModSeq: status.highestModSeq,
        vsize: status.vsize,
    };
}

/** Reads the resource of `kind` that `id` names, for an import. */
export async function importResource(kind: ResourceKind, id: string): Promise<Imported> {
    const client = clientFor(undefined);
    const separator = client.settings.separator;
    switch (kind) {
        case "mailbox": {
            const [user, rest] = userAnd(kind, id);
            const name = mailboxOf(kind, id, rest, separator);
            const snapshot = await client.snapshot(user, 0);
            const found = snapshot.mailboxes.find((m) => m.name === name);
            if (!found)
                notFound(
                    kind,
                    user,
                    `mailbox ${JSON.stringify(name)}`,
                    snapshot.mailboxes.map((m) => m.name),
                    name,
                );
            const inputs = {
                user,
                name,
                subscribed: snapshot.subscriptions.includes(name),
                forceDestroy: false,
                adopt: false,
            };
            return {
                id: found.guid,
                props: { ...inputs, endpoint: serverIdentity(undefined), ...counters(found) },
                inputs,
                warnings: await spellingWarnings(kind, client, user, rest, name),
            };
        }
        case "folders": {
            const problem = userProblem(id);
            if (problem) refuse(kind, id, `the user name ${problem}`);
            const snapshot = await client.snapshot(id, 0);
            const mailboxes = snapshot.mailboxes
                .filter((m) => m.name !== "INBOX")
                .map((m) => ({
                    name: m.name,
                    declaredName: m.name,
                    guid: m.guid,
                    subscribed: snapshot.subscriptions.includes(m.name),
                    messages: m.messages,
                }));
            const inputs = {
                user: id,
                folders: mailboxes.map((m) => ({ name: m.name, subscribed: m.subscribed })),
                forceDestroy: false,
                adopt: false,
            };
            return {
                id: `${id}#${Date.now().toString(36)}`,
                props: { ...inputs, endpoint: serverIdentity(undefined), mailboxes },
                inputs,
                warnings: await spellingWarnings(kind, client, id, undefined, undefined),
            };
        }
        case "subscription": {
            const [user, rest] = userAnd(kind, id);
            const mailbox = mailboxOf(kind, id, rest, separator);
            const snapshot = await client.snapshot(user, 0);
            if (!snapshot.subscriptions.includes(mailbox))
                notFound(
                    kind,
                    user,
                    `subscription to ${JSON.stringify(mailbox)}`,
                    snapshot.subscriptions,
                    mailbox,
                );
            const inputs = { user, mailbox };
            return {
                id: `${user}:${mailbox}`,
                props: { ...inputs, endpoint: serverIdentity(undefined) },
                inputs,
                warnings: await spellingWarnings(kind, client, user, rest, mailbox),
            };
        }
        case "reload": {
            const inputs = { triggers: [] };
            return {
                id: `reload-${id}`,
                props: { ...inputs, reloaded: { default: new Date().toISOString() } },
                inputs,
            };
        }
        case "sieve": {
            const [user, name] = userAnd(kind, id);
            const problem = sieveNameProblem(name);
            if (problem) refuse(kind, id, `the script name ${problem}`);
            const found = await client.inUserTurn(user, "SieveScript import", async (c) => {
                const info = (await c.sieveList()).find((s) => s.name === name);
                if (!info) return undefined;
                const script = await c.sieveGet(name);
                return script === undefined ? undefined : { script, active: info.active };
            });
            if (!found) notFound(kind, user, `Sieve script ${JSON.stringify(name)}`);
            if (!sieveReadable(found.script))
                refuse(kind, id, "Dovecot cannot send this script back intact (a character across 8 KiB)");
            const inputs = { user, name, script: found.script, active: found.active, adopt: false };
            return {
                id,
                props: { ...inputs, endpoint: serverIdentity(undefined) },
                inputs,
                warnings: await spellingWarnings(kind, client, user, undefined, undefined),
            };
        }
        case "acl": {
            const [user, rest] = userAnd(kind, id);
            const cut = rest.lastIndexOf("/");
            if (cut <= 0) refuse(kind, id, "the id does not end with '/' and an identifier");
            const mailbox = mailboxOf(kind, id, rest.slice(0, cut), separator);
            const identifier = rest.slice(cut + 1);
            const problem = aclIdentifierProblem(identifier);
            if (problem) refuse(kind, id, `the identifier ${problem}`);
            const entry = (await client.aclGet(user, mailbox)).find((e) => e.id === identifier && !e.global);
            if (!entry) notFound(kind, user, `ACL entry of ${identifier} on ${JSON.stringify(mailbox)}`);
            const inputs = { user, mailbox, identifier, rights: entry.rights, adopt: false };
            return {
                id: `${user}/${mailbox}/${identifier}`,
                props: { ...inputs, endpoint: serverIdentity(undefined) },
                inputs,
                warnings: await spellingWarnings(kind, client, user, rest.slice(0, cut), mailbox),
            };
        }
        case "metadata": {
            // `<user>/<mailbox>/<key>`, the key starting with '/': `alice/Team//shared/comment`. At the user
            // level the mailbox is empty, `alice///private/comment`, and `alice//private/comment` (the
            // key's own '/' after the user's) is taken to mean the same.
            const match =
                /^([^/]+)\/(.*)\/(\/(?:private|shared)\/.+)$/.exec(id) ??
                /^([^/]+)\/()(\/(?:private|shared)\/.+)$/.exec(id);
            if (!match) refuse(kind, id, "the id is not <user>/<mailbox>/<key> or <user>//<key>");
            const [, user = "", rawMailbox = "", key = ""] = match;
            const userIssue = userProblem(user);
            if (userIssue) refuse(kind, id, `the user name ${userIssue}`);
            const mailbox = rawMailbox === "" ? "" : mailboxOf(kind, id, rawMailbox, separator);
            const problem = metadataKeyProblem(key, mailbox === "");
            if (problem) refuse(kind, id, `the key ${problem}`);
            const value = await client.metadataGet(user, mailbox, key);
            if (value === "") notFound(kind, user, `METADATA entry ${JSON.stringify(key)}`);
            const inputs = { user, mailbox, key, value, adopt: false };
            return {
                id: `${user}/${mailbox}/${key}`,
                props: { ...inputs, endpoint: serverIdentity(undefined) },
                inputs,
                warnings: await spellingWarnings(
                    kind,
                    client,
                    user,
                    rawMailbox || undefined,
                    mailbox || undefined,
                ),
            };
        }
    }
}
