import * as dovecot from "@pulumi-dovecot/dovecot";

const archive = new dovecot.Mailbox("alice-archive", {
    user: "alice@example.org",
    name: "Archive/2026",
    subscribed: true,
});
export const guid = archive.guid;
