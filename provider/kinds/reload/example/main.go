package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		snippet, err := os.ReadFile("conf.d/90-example.conf")
		if err != nil {
			return err
		}
		sum := sha256.Sum256(snippet)
		_, err = dovecot.NewReload(ctx, "config", &dovecot.ReloadArgs{
			Triggers: pulumi.Array{pulumi.String("sha256:" + hex.EncodeToString(sum[:]))},
		})
		return err
	})
}
