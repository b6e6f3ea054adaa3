// What the program side of the dynamic resources checks of the stack's configuration, once per run:
// the dynamic provider process is not told which stack it serves, the program is.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { plainCredentialWarning, plainCredentials } from "../plaintext";

let checked = false;

/** Warns, once per program run, about credentials the stack's configuration file holds in plain text. */
export function checkStackConfiguration(): void {
    if (checked) return;
    checked = true;
    let root: string;
    let stack: string;
    try {
        root = pulumi.getRootDirectory();
        stack = pulumi.getStack();
    } catch {
        return; // not run by the engine (a unit test constructing a resource)
    }
    // Older language hosts pass no project root (or a placeholder): the program runs in the project's folder.
    if (!path.isAbsolute(root) || !fs.existsSync(root)) root = process.cwd();
    for (const credential of plainCredentials(root, stack))
        void pulumi.log.warn(`pulumi-dovecot: ${plainCredentialWarning(credential)}`);
}
