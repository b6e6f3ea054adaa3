import pulumi_dovecot as dovecot

team = dovecot.Mailbox("alice-team", user="alice@example.org", name="Team")
dovecot.MailboxAcl("alice-team-bob", user="alice@example.org", mailbox=team.name,
    identifier="user=bob@example.org", rights=["lookup", "read"])
