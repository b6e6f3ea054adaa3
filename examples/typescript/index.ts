// Per-user folder provisioning: every user in `folders:users` gets the folder layout in
// `folders:layout` (nested names joined by "/", each with `subscribed`), and Dovecot reloads whenever
// the configuration snippet conf.d/90-example.conf changes (its SHA-256 is the Reload's trigger).
//
//   pulumi config set dovecot:endpoint http://mail.example.org:8080
//   pulumi config set --secret dovecot:apiKey "$DOVEADM_API_KEY"
//   pulumi config set folders:users '["alice@example.org","bob@example.org"]'
//   pulumi config set folders:layout "$(cat layout.json)"
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

function isUserList(value: unknown): value is string[] {
    return Array.isArray(value) && value.every((user) => typeof user === "string" && user !== "");
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
const users = config.requireObject<unknown>("users");
const layout = config.requireObject<unknown>("layout");
if (!isUserList(users)) {
    throw new Error('folders:users must be a JSON list of user names, e.g. ["alice@example.org"]');
}
if (!isLayout(layout)) {
    throw new Error('folders:layout must be a JSON list like [{"name": "Archive", "subscribed": true}]');
}

function mailboxArgs(user: string, folder: Folder): dovecot.MailboxArgs {
    return { user, name: folder.name, subscribed: folder.subscribed ?? true };
}

// Resource names must be unique and stable: they are what Pulumi tracks across runs. A folder renamed
// in the layout keeps its resource through an alias of its old name, so the server renames it in
// place (messages and GUID kept) instead of making a new folder and deleting the old one.
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

/** Each user's folders: name to mailbox GUID. */
export const mailboxes = guids;
export const snippetSha256 = snippetHash;
export const reloadedAt = reload.reloadedAt;
