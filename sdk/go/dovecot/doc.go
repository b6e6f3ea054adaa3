// Manage Dovecot IMAP folders, subscriptions and reloads from Pulumi through the doveadm HTTP API
package dovecot
