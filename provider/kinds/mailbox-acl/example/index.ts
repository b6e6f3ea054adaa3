import * as dovecot from "@pulumi-dovecot/dovecot";

const team = new dovecot.Mailbox("alice-team", { user: "alice@example.org", name: "Team" });
new dovecot.MailboxAcl("alice-team-bob", {
    user: "alice@example.org",
    mailbox: team.name,
    identifier: "user=bob@example.org",
    rights: ["lookup", "read"],
});
