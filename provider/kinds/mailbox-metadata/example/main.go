package main

import (
	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := dovecot.NewMailboxMetadata(ctx, "alice-team-comment", &dovecot.MailboxMetadataArgs{
			User:    pulumi.String("alice@example.org"),
			Mailbox: pulumi.String("Team"),
			Key:     pulumi.String("/shared/comment"),
			Value:   pulumi.String("The team's shared folder"),
		})
		return err
	})
}
