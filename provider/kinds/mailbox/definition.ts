// The Mailbox kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { mailboxHandler } from "./handler";
import { IMPORT_FORM, readMailbox } from "./import";
import { mailboxInputShape, mailboxOutputShape } from "./schema";

/** The Mailbox kind. */
export const mailboxKind = defineKind({
    name: "Mailbox",
    folder: "mailbox",
    description:
        "One IMAP folder of one user. Its id is the mailbox GUID (the `guid` output), which survives renames, so `refresh` finds a folder renamed behind Pulumi's back. It creates its folder with a GUID of its own choosing (tagged with the stack and the resource), so a run whose state was lost takes back the folder it made, while a folder anyone else made is refused unless `adopt` is set. A rename keeps the messages and the GUID; a change of user replaces it; deleting it refuses a folder that holds messages unless `forceDestroy` is set. INBOX may be managed (its subscription) but is never renamed or deleted.",
    inputs: (separator: string) => mailboxInputShape(separator),
    outputs: () => mailboxOutputShape(),
    internal: ["creator"],
    hiddenOutputs: [],

    tagsGuids: true,
    handler: mailboxHandler,
    importId: { form: IMPORT_FORM.form, read: readMailbox },
    example: "A user's archive folder",
});
