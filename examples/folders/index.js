// Per-user folder provisioning: every user in `folders:users` gets the folder layout in
// `folders:layout` (nested names joined by "/", each with `subscribed`), and Dovecot reloads whenever
// the configuration snippet conf.d/90-example.conf changes (its SHA-256 is the Reload's trigger).
//
//   pulumi config set dovecot:endpoint http://127.0.0.1:8080
//   pulumi config set --secret dovecot:apiKey <doveadm_api_key>
//   pulumi config set folders:users '["alice@example.org","bob@example.org"]'
//   pulumi config set folders:layout "$(cat layout.json)"
//   pulumi up
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const pulumi = require("@pulumi/pulumi");
// In your own project: `npm install pulumi-dovecot`. Inside this repository the name resolves to the
// repository itself (package self-reference) once `npm run build` has compiled dist/.
const dovecot = require("pulumi-dovecot");

const config = new pulumi.Config("folders");
/** @type {string[]} */
const users = config.requireObject("users");
/** @type {{name: string, subscribed?: boolean}[]} */
const layout = config.requireObject("layout");

if (!Array.isArray(users) || users.some((u) => typeof u !== "string")) {
    throw new Error('folders:users must be a JSON list of user names, e.g. ["alice@example.org"]');
}
if (!Array.isArray(layout) || layout.some((f) => !f || typeof f.name !== "string")) {
    throw new Error('folders:layout must be a JSON list like [{"name": "Archive", "subscribed": true}]');
}

// Resource names must be unique and stable: they are what Pulumi tracks across runs.
const mailboxes = {};
for (const user of users) {
    mailboxes[user] = {};
    for (const folder of layout) {
        const mailbox = new dovecot.Mailbox(`${user}/${folder.name}`, {
            user,
            name: folder.name,
            subscribed: folder.subscribed !== false,
        });
        mailboxes[user][folder.name] = mailbox.guid;
    }
}

// Reload Dovecot when the snippet's content changes (not when the program merely runs again).
const snippet = path.join(__dirname, "conf.d", "90-example.conf");
const snippetHash = crypto.createHash("sha256").update(fs.readFileSync(snippet)).digest("hex");
const reload = new dovecot.Reload("config-snippet", { triggers: [`sha256:${snippetHash}`] });

module.exports = { mailboxes, snippetSha256: snippetHash, reloadedAt: reload.reloadedAt };
