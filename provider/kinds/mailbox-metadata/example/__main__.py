import pulumi_dovecot as dovecot

dovecot.MailboxMetadata("alice-team-comment", user="alice@example.org", mailbox="Team",
    key="/shared/comment", value="The team's shared folder")
