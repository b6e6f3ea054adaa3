// The accounts the tests' sandboxes hold (startDovecot's `users`, in the example.org domain), by their
// login names, and what a test reads of an account.
import { Sandbox } from "./dovecot";

export const ALICE = "alice@example.org";
export const BOB = "bob@example.org";

/**
 * What `sandbox` holds of `user`'s that a program could change, read with doveadm: folders,
 * subscriptions, Sieve scripts, the ACL of INBOX and INBOX's `/private/comment` METADATA entry.
 */
export async function accountState(sandbox: Sandbox, user: string) {
    return {
        folders: await sandbox.listMailboxes(user),
        subscriptions: await sandbox.listSubscriptions(user),
        sieve: (await sandbox.doveadm(["sieve", "list", "-u", user])).trim(),
        acl: (await sandbox.doveadm(["acl", "get", "-u", user, "INBOX"])).trim(),
        comment: (
            await sandbox.doveadm(["mailbox", "metadata", "get", "-u", user, "INBOX", "/private/comment"])
        ).trim(),
    };
}
