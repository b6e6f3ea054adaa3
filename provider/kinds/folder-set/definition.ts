// The FolderSet kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { folderSetHandler } from "./handler";
import { IMPORT_FORM, readFolderSet } from "./import";
import { folderSetInputShape, folderSetOutputShape } from "./schema";

/** The FolderSet kind. */
export const folderSetKind = defineKind({
    name: "FolderSet",
    folder: "folder-set",
    description:
        "One user's whole folder layout as a single resource, for fleets where thousands of `Mailbox` resources are themselves the cost (state size, engine steps): the same guarantees (folders found by GUID, renamed in place, never deleted with messages unless `forceDestroy`), each change checked against the server before anything is sent, so a refused change changes nothing. After any failure it records every folder it managed before and every folder it made.",
    inputs: (separator: string) => folderSetInputShape(separator),
    outputs: (separator: string) => folderSetOutputShape(separator),
    internal: ["creator"],
    hiddenOutputs: [],
    objectTypes: { "folders[]": "Folder", "mailboxes[]": "ManagedFolder" },
    tagsGuids: true,
    handler: folderSetHandler,
    importId: { form: IMPORT_FORM.form, read: readFolderSet },
    example: "A user's folder layout",
});
