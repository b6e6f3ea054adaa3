package main

import (
	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := dovecot.NewFolderSet(ctx, "alice", &dovecot.FolderSetArgs{
			User: pulumi.String("alice@example.org"),
			Folders: dovecot.FolderArray{
				dovecot.FolderArgs{Name: pulumi.String("Archive")},
				dovecot.FolderArgs{Name: pulumi.String("Receipts"), Subscribed: pulumi.Bool(false)},
				dovecot.FolderArgs{Name: pulumi.String("Projects/2026"), RenamedFrom: pulumi.String("Projects/Current")},
			},
		})
		return err
	})
}
