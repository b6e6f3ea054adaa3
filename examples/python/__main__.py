"""Per-user folder provisioning through the dovecot provider plugin.

Every user in `folders:users` gets the folder layout in `folders:layout` on the default server
(`dovecot:endpoint`), and every user in `backend2:users` gets it on a second server reached through an
explicit provider (`backend2:endpoint`, secret `backend2:apiKey`). Dovecot (the default server)
reloads whenever the configuration snippet conf.d/90-example.conf changes (its SHA-256 is the
Reload's trigger).

    pulumi config set dovecot:endpoint http://mail.example.org:8080
    pulumi config set --secret dovecot:apiKey "$DOVEADM_API_KEY"
    pulumi config set folders:users '["alice@example.org","bob@example.org"]'
    pulumi config set folders:layout "$(cat layout.json)"
    pulumi up
"""

import hashlib
import pathlib
from typing import Any, Optional

import pulumi
import pulumi_dovecot as dovecot


def user_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(user, str) and user for user in value):
        raise ValueError(f'{key} must be a JSON list of user names, e.g. ["alice@example.org"]')
    return value


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
users = user_list(folders.require_object("users"), "folders:users")
layout = folder_layout(folders.require_object("layout"))
# Whether `pulumi destroy` (or a folder dropped from the layout) may delete folders that hold mail.
force_destroy = folders.get_bool("forceDestroy") or False


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


# Each user's folders on the default server: name to mailbox GUID.
mailboxes = {user: provision(user, None) for user in users}

# The second server, when configured: an explicit instance of the dovecot provider.
backend2 = pulumi.Config("backend2")
backend2_endpoint = backend2.get("endpoint")
if backend2_endpoint:
    backend2_users = user_list(backend2.require_object("users"), "backend2:users")
    both = sorted(set(users) & set(backend2_users))
    if both:
        raise ValueError(f"a user's mail is on one server: {both} are in both folders:users and backend2:users")
    backend2_provider = dovecot.Provider(
        "backend2",
        endpoint=backend2_endpoint,
        api_key=backend2.require_secret("apiKey"),
    )
    for user in backend2_users:
        mailboxes[user] = provision(user, backend2_provider)

# Reload Dovecot when the snippet's content changes (not when the program merely runs again).
snippet = (pathlib.Path(__file__).parent / "conf.d" / "90-example.conf").read_bytes()
snippet_hash = hashlib.sha256(snippet).hexdigest()
reload = dovecot.Reload("config-snippet", triggers=[f"sha256:{snippet_hash}"])

pulumi.export("mailboxes", mailboxes)
pulumi.export("snippetSha256", snippet_hash)
pulumi.export("reloadedAt", reload.reloaded_at)
