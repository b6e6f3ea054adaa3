// What every kind's import shares: `pulumi import <type> <name> <id>` with ids a person can type. The
// engine calls read with the id and no properties, and stores what read returns, id included; each
// kind's import.ts reads what its id names (for a Mailbox `<user>/<mailbox name>`, answered with the
// mailbox's GUID as the id). Imports address the provider's own server (an explicit provider instance
// for another one); every argument is checked before anything is sent.
import { DoveadmClient, UserSnapshot } from "../client/client";
import { DoveadmNotFoundError, DoveadmUsageError } from "../client/errors";
import { canonicalName, mailboxNameProblem, userProblem } from "../names";
import { sameAccount } from "./accounts";

/** The kind an id is read for, as messages name it. */
export interface ImportOf {
    /** The kind's name (`Mailbox`). */
    name: string;
    /** Its id's form, with an example. */
    form: string;
}

/**
 * Warnings for an id that names something in another spelling than the server's: INBOX in another
 * letter case, or a user name that the server's user database folds to another one. Importing the
 * same thing twice under two spellings records it twice, which nothing else can see (an import reads
 * only what it imports), so say it when it may have happened.
 */
export async function spellingWarnings(
    kind: ImportOf,
    client: DoveadmClient,
    user: string,
    typed: string | undefined,
    canonical: string | undefined,
): Promise<string[]> {
    const warnings: string[] = [];
    const what = kind.name;
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

/** Refuses an id that is not of the kind's form, saying which form it takes. */
export function refuse(kind: ImportOf, id: string, problem: string): never {
    throw new DoveadmUsageError(
        "DOVEADM_IMPORT_ID",
        { command: `import ${kind.name}`, item: `id ${JSON.stringify(id.slice(0, 200))}` },
        `${problem}; nothing was sent`,
        `Import a ${kind.name} by ${kind.form}.`,
    );
}

/** Splits `<user>/<rest>` and checks the user. */
export function userAnd(kind: ImportOf, id: string): [string, string] {
    const cut = id.indexOf("/");
    if (cut <= 0) refuse(kind, id, "the id does not start with a user name and '/'");
    const user = id.slice(0, cut);
    const problem = userProblem(user);
    if (problem) refuse(kind, id, `the user name ${problem}`);
    return [user, id.slice(cut + 1)];
}

export function mailboxOf(kind: ImportOf, id: string, name: string, separator: string): string {
    const problem = mailboxNameProblem(name, separator);
    if (problem) refuse(kind, id, `the mailbox name ${problem}`);
    return canonicalName(name, separator);
}

/** The error for an id that names nothing on the server (or the same name in another Unicode form). */
export function notFound(
    kind: ImportOf,
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
        { command: `import ${kind.name}`, user },
        twin === undefined
            ? `the server has no ${what}; nothing was imported`
            : `the server has no ${what} in the Unicode form the id uses (${form(wanted as string)}), but has ${JSON.stringify(twin)} in another form (${form(twin)}), which reads the same; nothing was imported`,
        twin === undefined
            ? "Check the id (the user, the name and its letter case), or create it by declaring the resource instead."
            : `Import it by the server's form of the name: ${JSON.stringify(twin)} (code points ${[...twin].map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`).join(" ")}).`,
    );
}

/** A mailbox status's GUID and counters, as outputs record them. */
export function counters(status: UserSnapshot["mailboxes"][number]) {
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
