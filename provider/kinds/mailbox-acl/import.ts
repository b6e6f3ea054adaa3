// `pulumi import` of a MailboxAcl: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { serverIdentity } from "../../connection";
import { mailboxOf, notFound, refuse, spellingWarnings, userAnd } from "../../handlers/import-ids";
import { aclIdentifierProblem } from "../../client/plugins";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "MailboxAcl",
    form: "<user>/<mailbox name>/<identifier>, such as alice@example.org/Team/user=bob@example.org",
};

/** Reads the MailboxAcl that `id` names on the server of `client` (nothing is changed). */
export async function readMailboxAcl(id: string, client: DoveadmClient): Promise<Imported> {
    const separator = client.settings.separator;
    const [user, rest] = userAnd(IMPORT_FORM, id);
    const cut = rest.lastIndexOf("/");
    if (cut <= 0) refuse(IMPORT_FORM, id, "the id does not end with '/' and an identifier");
    const mailbox = mailboxOf(IMPORT_FORM, id, rest.slice(0, cut), separator);
    const identifier = rest.slice(cut + 1);
    const problem = aclIdentifierProblem(identifier);
    if (problem) refuse(IMPORT_FORM, id, `the identifier ${problem}`);
    const entry = (await client.aclGet(user, mailbox)).find((e) => e.id === identifier && !e.global);
    if (!entry) notFound(IMPORT_FORM, user, `ACL entry of ${identifier} on ${JSON.stringify(mailbox)}`);
    const inputs = { user, mailbox, identifier, rights: entry.rights, adopt: false };
    return {
        id: `${user}/${mailbox}/${identifier}`,
        props: { ...inputs, endpoint: serverIdentity(undefined) },
        inputs,
        warnings: await spellingWarnings(IMPORT_FORM, client, user, rest.slice(0, cut), mailbox),
    };
}
