// `pulumi import` of a MailboxMetadata: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { serverIdentity } from "../../connection";
import { mailboxOf, notFound, refuse, spellingWarnings } from "../../handlers/import-ids";
import { userProblem } from "../../names";
import { metadataKeyProblem } from "../../client/plugins";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "MailboxMetadata",
    form: "<user>/<mailbox name>/<key>, such as alice@example.org/Team//shared/comment, or <user>//<key> for the user level, such as alice@example.org//private/comment",
};

/** Reads the MailboxMetadata that `id` names on the server of `client` (nothing is changed). */
export async function readMailboxMetadata(id: string, client: DoveadmClient): Promise<Imported> {
    const separator = client.settings.separator;
    // `<user>/<mailbox>/<key>`, the key starting with '/': `alice/Team//shared/comment`. At the user
    // level the mailbox is empty, `alice///private/comment`, and `alice//private/comment` (the
    // key's own '/' after the user's) is taken to mean the same.
    const match =
        /^([^/]+)\/(.*)\/(\/(?:private|shared)\/.+)$/.exec(id) ??
        /^([^/]+)\/()(\/(?:private|shared)\/.+)$/.exec(id);
    if (!match) refuse(IMPORT_FORM, id, "the id is not <user>/<mailbox>/<key> or <user>//<key>");
    const [, user = "", rawMailbox = "", key = ""] = match;
    const userIssue = userProblem(user);
    if (userIssue) refuse(IMPORT_FORM, id, `the user name ${userIssue}`);
    const mailbox = rawMailbox === "" ? "" : mailboxOf(IMPORT_FORM, id, rawMailbox, separator);
    const problem = metadataKeyProblem(key, mailbox === "");
    if (problem) refuse(IMPORT_FORM, id, `the key ${problem}`);
    const value = await client.metadataGet(user, mailbox, key);
    if (value === "") notFound(IMPORT_FORM, user, `METADATA entry ${JSON.stringify(key)}`);
    const inputs = { user, mailbox, key, value, adopt: false };
    return {
        id: `${user}/${mailbox}/${key}`,
        props: { ...inputs, endpoint: serverIdentity(undefined) },
        inputs,
        warnings: await spellingWarnings(
            IMPORT_FORM,
            client,
            user,
            rawMailbox || undefined,
            mailbox || undefined,
        ),
    };
}
