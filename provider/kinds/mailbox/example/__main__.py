import pulumi
import pulumi_dovecot as dovecot

archive = dovecot.Mailbox("alice-archive", user="alice@example.org", name="Archive/2026", subscribed=True)
pulumi.export("guid", archive.guid)
