"""Per-user folder provisioning through the dovecot provider plugin.

Every user of the default server's user database (`dovecot:endpoint`), as Dovecot lists them
(`list_users`), gets the folder layout in `folders:layout` there, and, when a second server is
configured (`backend2:endpoint`, secret `backend2:apiKey`), every user of its user database gets it
on that server, through an explicit provider. `folders:userMask` (default `*`) picks the users, such
as `*@example.org`. Dovecot (the default server) reloads whenever the configuration snippet
conf.d/90-example.conf changes (its SHA-256 is the Reload's trigger).

    pulumi config set dovecot:endpoint http://mail.example.org:8080
    pulumi config set --secret dovecot:apiKey "$DOVEADM_API_KEY"
    pulumi config set folders:layout "$(cat layout.json)"
    pulumi up
"""

import hashlib
import pathlib
from typing import Any, Optional

import pulumi
import pulumi_dovecot as dovecot


def folder_layout(value: Any) -> list[dict[str, Any]]:
    """`folders:layout`: a list of {"name": str, "subscribed"?: bool, "renamedFrom"?: str}."""
    ok = isinstance(value, list) and all(
        isinstance(folder, dict)
        and isinstance(folder.get("name"), str)
        and isinstance(folder.get("subscribed", True), bool)
        and isinstance(folder.get("renamedFrom", ""), str)
        for folder in value
    )
    if not ok:
        raise ValueError('folders:layout must be a JSON list like [{"name": "Archive", "subscribed": true}]')
    return value


folders = pulumi.Config("folders")
layout = folder_layout(folders.require_object("layout"))
# Whether `pulumi destroy` (or a folder dropped from the layout) may delete folders that hold mail.
force_destroy = folders.get_bool("forceDestroy") or False
# Which users of the user databases get the layout: `*` and `?` are wildcards.
user_mask = folders.get("userMask") or "*"


def provision(user: str, provider: Optional[pulumi.ProviderResource]) -> dict[str, pulumi.Output[str]]:
    """Declares the layout's folders for one user; returns each folder's GUID by name."""
    guids = {}
    for folder in layout:
        # Resource names must be unique and stable: they are what Pulumi tracks across runs. A folder
        # renamed in the layout keeps its resource through an alias of its old name, so the server
        # renames it in place (messages and GUID kept) instead of making a new one.
        renamed_from = folder.get("renamedFrom")
        mailbox = dovecot.Mailbox(
            f"{user}/{folder['name']}",
            user=user,
            name=folder["name"],
            subscribed=folder.get("subscribed", True),
            force_destroy=force_destroy,
            opts=pulumi.ResourceOptions(
                provider=provider,
                aliases=[pulumi.Alias(name=f"{user}/{renamed_from}")] if renamed_from else None,
            ),
        )
        guids[folder["name"]] = mailbox.guid
    return guids


# The users the default server's user database lists. An empty list fails the run (it is almost always
# a user database that answered nothing, and declaring no user would delete every user's folders);
# pass allow_empty=True if none is expected.
users = dovecot.list_users(mask=user_mask).users

# Each user's folders on the default server: name to mailbox GUID.
mailboxes = {user: provision(user, None) for user in users}

# The second server, when configured: an explicit instance of the dovecot provider.
backend2 = pulumi.Config("backend2")
backend2_endpoint = backend2.get("endpoint")
if backend2_endpoint:
    backend2_provider = dovecot.Provider(
        "backend2",
        endpoint=backend2_endpoint,
        api_key=backend2.require_secret("apiKey"),
    )
    # The second server's users, read through its provider.
    backend2_users = dovecot.list_users(
        mask=user_mask, opts=pulumi.InvokeOptions(provider=backend2_provider)
    ).users
    both = sorted(set(users) & set(backend2_users))
    if both:
        raise ValueError(f"a user's mail is on one server: {both} are in both servers' user databases")
    for user in backend2_users:
        mailboxes[user] = provision(user, backend2_provider)

# Reload Dovecot when the snippet's content changes (not when the program merely runs again).
snippet = (pathlib.Path(__file__).parent / "conf.d" / "90-example.conf").read_bytes()
snippet_hash = hashlib.sha256(snippet).hexdigest()
reload = dovecot.Reload("config-snippet", triggers=[f"sha256:{snippet_hash}"])

pulumi.export("mailboxes", mailboxes)
pulumi.export("snippetSha256", snippet_hash)
pulumi.export("reloadedAt", reload.reloaded_at)
