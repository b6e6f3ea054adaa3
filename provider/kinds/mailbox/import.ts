// `pulumi import` of a Mailbox: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { serverIdentity } from "../../connection";
import { counters, mailboxOf, notFound, spellingWarnings, userAnd } from "../../handlers/import-ids";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "Mailbox",
    form: "<user>/<mailbox name>, such as alice@example.org/Archive/2026",
};

/** Reads the Mailbox that `id` names on the server of `client` (nothing is changed). */
export async function readMailbox(id: string, client: DoveadmClient): Promise<Imported> {
    const separator = client.settings.separator;
    const [user, rest] = userAnd(IMPORT_FORM, id);
    const name = mailboxOf(IMPORT_FORM, id, rest, separator);
    const snapshot = await client.snapshot(user, 0);
    const found = snapshot.mailboxes.find((m) => m.name === name);
    if (!found)
        notFound(
            IMPORT_FORM,
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
        warnings: await spellingWarnings(IMPORT_FORM, client, user, rest, name),
    };
}
