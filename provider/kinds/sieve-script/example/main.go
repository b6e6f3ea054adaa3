package main

import (
	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := dovecot.NewSieveScript(ctx, "alice-filters", &dovecot.SieveScriptArgs{
			User:   pulumi.String("alice@example.org"),
			Name:   pulumi.String("filters"),
			Script: pulumi.String("require \"fileinto\";\nif header :contains \"Subject\" \"work\" { fileinto \"Work\"; }\n"),
		})
		return err
	})
}
