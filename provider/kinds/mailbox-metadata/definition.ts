// The MailboxMetadata kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { mailboxMetadataHandler } from "./handler";
import { IMPORT_FORM, readMailboxMetadata } from "./import";
import { metadataInputShape, metadataOutputShape } from "./schema";

/** The MailboxMetadata kind. */
export const mailboxMetadataKind = defineKind({
    name: "MailboxMetadata",
    folder: "mailbox-metadata",
    description:
        "One METADATA entry (RFC 5464) of a mailbox, or of the user (an empty or absent `mailbox`). Needs a METADATA dictionary on the server (`mail_attribute_dict` on 2.3, `mail_attribute { dict ... }` on 2.4). A change of value updates it in place; a value someone else set is refused unless `adopt` is set. `/private/specialuse` (from the server's configuration) and Dovecot's own `vendor/vendor.dovecot/` entries are refused in `preview`.",
    inputs: (separator: string) => metadataInputShape(separator),
    outputs: () => metadataOutputShape(),
    internal: [],
    hiddenOutputs: [],

    tagsGuids: false,
    handler: mailboxMetadataHandler,
    importId: { form: IMPORT_FORM.form, read: readMailboxMetadata },
    example: "A comment on a shared folder",
});
