// The MailboxAcl kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { mailboxAclHandler } from "./handler";
import { IMPORT_FORM, readMailboxAcl } from "./import";
import { aclInputShape, aclOutputShape } from "./schema";

/** The MailboxAcl kind. */
export const mailboxAclKind = defineKind({
    name: "MailboxAcl",
    folder: "mailbox-acl",
    description:
        "The rights one identifier has on one mailbox of its owner: how a folder is shared. Needs the `acl` mail plugin, and, for other users to see the folder, a shared namespace. The entry is known by mailbox and identifier; `refresh` reads its rights. A change of rights updates it in place; any other change replaces it (the old entry is removed first). An entry someone else set with other rights is refused unless `adopt` is set.",
    inputs: (separator: string) => aclInputShape(separator),
    outputs: () => aclOutputShape(),
    internal: [],
    hiddenOutputs: [],
    objectTypes: { "rights[]": "AclRight" },
    tagsGuids: false,
    handler: mailboxAclHandler,
    importId: { form: IMPORT_FORM.form, read: readMailboxAcl },
    example: "Share a folder with a colleague",
});
