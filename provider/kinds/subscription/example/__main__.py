import pulumi_dovecot as dovecot

dovecot.Subscription("alice-team", user="alice@example.org", mailbox="Shared/Team")
