import pulumi_dovecot as dovecot

dovecot.FolderSet("alice", user="alice@example.org", folders=[
    dovecot.FolderArgs(name="Archive"),
    dovecot.FolderArgs(name="Receipts", subscribed=False),
    dovecot.FolderArgs(name="Projects/2026", renamed_from="Projects/Current"),
])
