package main

import (
	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := dovecot.NewSubscription(ctx, "alice-team", &dovecot.SubscriptionArgs{
			User:    pulumi.String("alice@example.org"),
			Mailbox: pulumi.String("Shared/Team"),
		})
		return err
	})
}
