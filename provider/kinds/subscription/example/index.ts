import * as dovecot from "@pulumi-dovecot/dovecot";

new dovecot.Subscription("alice-team", { user: "alice@example.org", mailbox: "Shared/Team" });
