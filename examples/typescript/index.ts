// Per-user folder provisioning: every user of the server's user database (Dovecot's own, read with
// listUsers: a passwd-file, SQL, LDAP, ...), or those matching `folders:userMask`, gets the folder
// layout in `folders:layout` (nested names joined by "/", each with `subscribed`), and Dovecot reloads
// whenever the configuration snippet conf.d/90-example.conf changes (its SHA-256 is the Reload's
// trigger). A user added to the user database gets the layout at the next `pulumi up`.
//
//   pulumi config set dovecot:endpoint http://mail.example.org:8080
//   pulumi config set --secret dovecot:apiKey "$DOVEADM_API_KEY"
//   pulumi config set folders:layout "$(cat layout.json)"
//   pulumi config set folders:userMask '*@example.org'     # optional: every user by default
//   pulumi up
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as dovecot from "pulumi-dovecot";

/** One folder of `folders:layout`. */
interface Folder {
    /** The full name, levels joined by the server's hierarchy separator: "Projects/2026". */
    name: string;
    /** Whether every user is subscribed to it; default true. */
    subscribed?: boolean;
    /** Its name before a rename in the layout: the folder is renamed on the server, not made again. */
    renamedFrom?: string;
}

function isLayout(value: unknown): value is Folder[] {
    return (
        Array.isArray(value) &&
        value.every((folder: unknown) => {
            if (typeof folder !== "object" || folder === null) return false;
            const { name, subscribed, renamedFrom } = folder as Record<string, unknown>;
            return (
                typeof name === "string" &&
                (subscribed === undefined || typeof subscribed === "boolean") &&
                (renamedFrom === undefined || typeof renamedFrom === "string")
            );
        })
    );
}

const config = new pulumi.Config("folders");
const layout = config.requireObject<unknown>("layout");
// Which users of the user database get the layout: `*` and `?` are wildcards.
const userMask = config.get("userMask") ?? "*";
if (!isLayout(layout)) {
    throw new Error('folders:layout must be a JSON list like [{"name": "Archive", "subscribed": true}]');
}

function mailboxArgs(user: string, folder: Folder): dovecot.MailboxArgs {
    return { user, name: folder.name, subscribed: folder.subscribed ?? true };
}

// The program is an async function, so that it can wait for the user list before declaring resources;
// what it returns are the stack's outputs.
export = async () => {
    // The users the server's user database lists. An empty list fails the run (it is almost always a
    // user database that answered nothing, and declaring no user would delete every user's folders);
    // pass allowEmpty: true if none is expected.
    const users = await dovecot.listUsers({ mask: userMask });

    // Resource names must be unique and stable: they are what Pulumi tracks across runs. A folder
    // renamed in the layout keeps its resource through an alias of its old name, so the server renames
    // it in place (messages and GUID kept) instead of making a new folder and deleting the old one.
    const guids: Record<string, Record<string, pulumi.Output<string>>> = {};
    for (const user of users) {
        const folders: Record<string, pulumi.Output<string>> = {};
        for (const folder of layout) {
            const aliases = folder.renamedFrom ? [{ name: `${user}/${folder.renamedFrom}` }] : [];
            folders[folder.name] = new dovecot.Mailbox(`${user}/${folder.name}`, mailboxArgs(user, folder), {
                aliases,
            }).guid;
        }
        guids[user] = folders;
    }

    // Reload Dovecot when the snippet's content changes (not when the program merely runs again).
    const snippet = fs.readFileSync(path.join(__dirname, "conf.d", "90-example.conf"));
    const snippetHash = crypto.createHash("sha256").update(snippet).digest("hex");
    const reloadArgs: dovecot.ReloadArgs = { triggers: [`sha256:${snippetHash}`] };
    const reload = new dovecot.Reload("config-snippet", reloadArgs);

    return {
        /** Each user's folders: name to mailbox GUID. */
        mailboxes: guids,
        snippetSha256: snippetHash,
        reloadedAt: reload.reloadedAt,
    };
};
