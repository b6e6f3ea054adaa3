package main

import (
	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		archive, err := dovecot.NewMailbox(ctx, "alice-archive", &dovecot.MailboxArgs{
			User:       pulumi.String("alice@example.org"),
			Name:       pulumi.String("Archive/2026"),
			Subscribed: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		ctx.Export("guid", archive.Guid)
		return nil
	})
}
