// The SieveScript kind's definition: what the dispatcher, the plugin, the schema, the docs and the tests
// read. Its inputs and outputs are in schema.ts, its provider methods in handler.ts, how `pulumi import`
// reads it in import.ts, its notes for the docs in notes.md. Nothing here loads @pulumi/pulumi.
import { defineKind } from "../kind";
import { sieveScriptHandler } from "./handler";
import { IMPORT_FORM, readSieveScript } from "./import";
import { sieveInputShape, sieveOutputShape } from "./schema";

/** The SieveScript kind. */
export const sieveScriptKind = defineKind({
    name: "SieveScript",
    folder: "sieve-script",
    description:
        "One Sieve script of one user (Pigeonhole): the rules that file arriving mail. Needs Dovecot's Sieve plugin with a per-user script storage. The server compiles a script when it is stored: one that does not compile fails the resource (the server's log says why) and the script stored before stays. Activating a script deactivates the one that was active, so an active SieveScript never takes over a script it did not store unless `adopt` is set; then it records the one it replaced (`replacedActive`), which deleting it makes active again.",
    inputs: () => sieveInputShape,
    outputs: () => sieveOutputShape(),
    internal: [],
    hiddenOutputs: ["pending"],

    tagsGuids: false,
    handler: sieveScriptHandler,
    importId: { form: IMPORT_FORM.form, read: readSieveScript },
    example: "A filing rule",
});
