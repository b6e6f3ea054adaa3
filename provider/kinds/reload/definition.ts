// The Reload kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { reloadHandler } from "./handler";
import { IMPORT_FORM, readReload } from "./import";
import { reloadInputShape, reloadOutputShape } from "./schema";

/** The Reload kind. */
export const reloadKind = defineKind({
    name: "Reload",
    folder: "reload",
    description:
        "Reloads Dovecot's configuration (`doveadm reload`) when created and whenever `triggers` change, then waits (at most 30 s) until the API answers again and checks that Dovecot loaded the new configuration: Dovecot answers `reload` at once and, when its configuration does not parse, logs the error and goes on with the old one. A reload that did not load fails the resource with the server's reason and is recorded as not done, so the first `up` after the fix reloads. With `servers`, each is reloaded at once and waited for; one that fails fails the resource by name, the others' reloads stand. Deleting it does nothing on the server.",
    inputs: () => reloadInputShape,
    outputs: () => reloadOutputShape(),
    internal: [],
    hiddenOutputs: [],

    tagsGuids: false,
    handler: reloadHandler,
    importId: { form: IMPORT_FORM.form, read: readReload },
    example: "Reload when a configuration snippet changes",
});
