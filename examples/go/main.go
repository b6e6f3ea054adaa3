// Per-user folder provisioning through the dovecot provider plugin: every user of the default server's
// user database (`dovecot:endpoint`), as Dovecot lists them (ListUsers), gets the folder layout in
// `folders:layout` there, and, when a second server is configured (`backend2:endpoint`, secret
// `backend2:apiKey`), every user of its user database gets it on that server, through an explicit
// provider. `folders:userMask` (default `*`) picks the users, such as `*@example.org`. Dovecot (the
// default server) reloads whenever the configuration snippet conf.d/90-example.conf changes (its
// SHA-256 is the Reload's trigger).
//
//	pulumi config set dovecot:endpoint http://mail.example.org:8080
//	pulumi config set --secret dovecot:apiKey "$DOVEADM_API_KEY"
//	pulumi config set folders:layout "$(cat layout.json)"
//	pulumi up
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Folder is one folder of `folders:layout`.
type Folder struct {
	// Name is the full name, levels joined by the server's hierarchy separator: "Projects/2026".
	Name string `json:"name"`
	// Subscribed tells whether every user is subscribed to it; default true.
	Subscribed *bool `json:"subscribed,omitempty"`
	// RenamedFrom is the folder's previous name, when it was renamed in the layout: the server
	// renames it in place (messages and GUID kept).
	RenamedFrom string `json:"renamedFrom,omitempty"`
}

func checkLayout(layout []Folder) error {
	for _, folder := range layout {
		if folder.Name == "" {
			return fmt.Errorf(`folders:layout must be a JSON list like [{"name": "Archive", "subscribed": true}]`)
		}
	}
	return nil
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		folders := config.New(ctx, "folders")
		var layout []Folder
		folders.RequireObject("layout", &layout)
		if err := checkLayout(layout); err != nil {
			return err
		}
		// Whether `pulumi destroy` (or a folder dropped from the layout) may delete folders that hold mail.
		forceDestroy := folders.GetBool("forceDestroy")
		// Which users of the user databases get the layout: `*` and `?` are wildcards.
		userMask := folders.Get("userMask")
		if userMask == "" {
			userMask = "*"
		}
		// listUsers reads the names a server's user database lists. An empty list fails the run (it is
		// almost always a user database that answered nothing, and declaring no user would delete every
		// user's folders); set AllowEmpty if none is expected.
		listUsers := func(opts ...pulumi.InvokeOption) ([]string, error) {
			listed, err := dovecot.ListUsers(ctx, &dovecot.ListUsersArgs{Mask: &userMask}, opts...)
			if err != nil {
				return nil, err
			}
			return listed.Users, nil
		}

		// provision declares the layout's folders for one user; it returns each folder's GUID by name.
		provision := func(user string, opts ...pulumi.ResourceOption) (pulumi.StringMap, error) {
			guids := pulumi.StringMap{}
			for _, folder := range layout {
				subscribed := true
				if folder.Subscribed != nil {
					subscribed = *folder.Subscribed
				}
				options := opts
				// Resource names must be unique and stable: they are what Pulumi tracks across runs. A
				// folder renamed in the layout keeps its resource through an alias of its old name, so
				// the server renames it in place instead of making a new one.
				if folder.RenamedFrom != "" {
					alias := pulumi.Alias{Name: pulumi.String(user + "/" + folder.RenamedFrom)}
					options = append(append([]pulumi.ResourceOption{}, opts...), pulumi.Aliases([]pulumi.Alias{alias}))
				}
				mailbox, err := dovecot.NewMailbox(ctx, user+"/"+folder.Name, &dovecot.MailboxArgs{
					User:         pulumi.String(user),
					Name:         pulumi.String(folder.Name),
					Subscribed:   pulumi.Bool(subscribed),
					ForceDestroy: pulumi.Bool(forceDestroy),
				}, options...)
				if err != nil {
					return nil, err
				}
				guids[folder.Name] = mailbox.Guid
			}
			return guids, nil
		}

		// Each user's folders: name to mailbox GUID.
		mailboxes := pulumi.Map{}
		users, err := listUsers()
		if err != nil {
			return err
		}
		for _, user := range users {
			guids, err := provision(user)
			if err != nil {
				return err
			}
			mailboxes[user] = guids
		}

		// The second server, when configured: an explicit instance of the dovecot provider.
		backend2 := config.New(ctx, "backend2")
		if endpoint := backend2.Get("endpoint"); endpoint != "" {
			provider, err := dovecot.NewProvider(ctx, "backend2", &dovecot.ProviderArgs{
				Endpoint: pulumi.String(endpoint),
				ApiKey:   backend2.RequireSecret("apiKey"),
			})
			if err != nil {
				return err
			}
			// The second server's users, read through its provider.
			backend2Users, err := listUsers(pulumi.Provider(provider))
			if err != nil {
				return err
			}
			for _, user := range backend2Users {
				if _, taken := mailboxes[user]; taken {
					return fmt.Errorf("a user's mail is on one server: both servers' user databases list %s", user)
				}
				guids, err := provision(user, pulumi.Provider(provider))
				if err != nil {
					return err
				}
				mailboxes[user] = guids
			}
		}

		// Reload Dovecot when the snippet's content changes (not when the program merely runs again).
		// The language host runs the program in the project folder.
		snippet, err := os.ReadFile(filepath.Join("conf.d", "90-example.conf"))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(snippet)
		snippetHash := hex.EncodeToString(sum[:])
		reload, err := dovecot.NewReload(ctx, "config-snippet", &dovecot.ReloadArgs{
			Triggers: pulumi.Array{pulumi.String("sha256:" + snippetHash)},
		})
		if err != nil {
			return err
		}

		ctx.Export("mailboxes", mailboxes)
		ctx.Export("snippetSha256", pulumi.String(snippetHash))
		ctx.Export("reloadedAt", reload.ReloadedAt)
		return nil
	})
}
