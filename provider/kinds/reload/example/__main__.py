import hashlib
import pulumi_dovecot as dovecot

with open("conf.d/90-example.conf", "rb") as snippet:
    digest = hashlib.sha256(snippet.read()).hexdigest()
dovecot.Reload("config", triggers=[f"sha256:{digest}"])
