// `pulumi import` of a Subscription: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { serverIdentity } from "../../connection";
import { mailboxOf, notFound, spellingWarnings, userAnd } from "../../handlers/import-ids";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "Subscription",
    form: "<user>/<mailbox name>, such as alice@example.org/Shared/Team",
};

/** Reads the Subscription that `id` names on the server of `client` (nothing is changed). */
export async function readSubscription(id: string, client: DoveadmClient): Promise<Imported> {
    const separator = client.settings.separator;
    const [user, rest] = userAnd(IMPORT_FORM, id);
    const mailbox = mailboxOf(IMPORT_FORM, id, rest, separator);
    const snapshot = await client.snapshot(user, 0);
    if (!snapshot.subscriptions.includes(mailbox))
        notFound(
            IMPORT_FORM,
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
        warnings: await spellingWarnings(IMPORT_FORM, client, user, rest, mailbox),
    };
}
