import * as dovecot from "@pulumi-dovecot/dovecot";

new dovecot.MailboxMetadata("alice-team-comment", {
    user: "alice@example.org",
    mailbox: "Team",
    key: "/shared/comment",
    value: "The team's shared folder",
});
