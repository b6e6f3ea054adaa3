package main

import (
	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		team, err := dovecot.NewMailbox(ctx, "alice-team", &dovecot.MailboxArgs{
			User: pulumi.String("alice@example.org"),
			Name: pulumi.String("Team"),
		})
		if err != nil {
			return err
		}
		_, err = dovecot.NewMailboxAcl(ctx, "alice-team-bob", &dovecot.MailboxAclArgs{
			User:       pulumi.String("alice@example.org"),
			Mailbox:    team.Name,
			Identifier: pulumi.String("user=bob@example.org"),
			Rights:     dovecot.AclRightArray{dovecot.AclRightLookup, dovecot.AclRightRead},
		})
		return err
	})
}
