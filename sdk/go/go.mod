module github.com/pulumi-dovecot/pulumi-dovecot/sdk/go

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.274.1
