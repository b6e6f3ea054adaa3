// `pulumi import` of a FolderSet: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { serverIdentity } from "../../connection";
import { refuse, spellingWarnings } from "../../handlers/import-ids";
import { userProblem } from "../../names";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "FolderSet",
    form: "<user>: every mailbox of the user but INBOX, such as alice@example.org",
};

/** Reads the FolderSet that `id` names on the server of `client` (nothing is changed). */
export async function readFolderSet(id: string, client: DoveadmClient): Promise<Imported> {
    const problem = userProblem(id);
    if (problem) refuse(IMPORT_FORM, id, `the user name ${problem}`);
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
        warnings: await spellingWarnings(IMPORT_FORM, client, id, undefined, undefined),
    };
}
