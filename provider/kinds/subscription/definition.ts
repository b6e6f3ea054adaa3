// The Subscription kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { subscriptionHandler } from "./handler";
import { IMPORT_FORM, readSubscription } from "./import";
import { subscriptionInputShape, subscriptionOutputShape } from "./schema";

/** The Subscription kind. */
export const subscriptionKind = defineKind({
    name: "Subscription",
    folder: "subscription",
    description:
        "One entry in a user's IMAP subscription list: it may name a mailbox that does not exist, such as a shared folder. Any change replaces it. A `Mailbox` or `FolderSet` manages its own folders' subscriptions: declare no Subscription for those.",
    inputs: (separator: string) => subscriptionInputShape(separator),
    outputs: () => subscriptionOutputShape(),
    internal: [],
    hiddenOutputs: [],

    tagsGuids: false,
    handler: subscriptionHandler,
    importId: { form: IMPORT_FORM.form, read: readSubscription },
    example: "A subscription to a shared folder",
});
