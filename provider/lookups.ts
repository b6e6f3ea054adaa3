// Read-only lookups for programs: plain async functions (and `…Output` forms taking Inputs) that read
// a user's mailboxes, quota or Sieve scripts, or the users of the server's user database, while the
// program runs, with no resource and no state.
// They read the same settings as the resources (dovecot:* and dovecot:servers, else DOVEADM_*) in the
// program's own process; nothing they read is recorded anywhere. The lookups themselves are in
// queries.ts, which the provider plugin's functions share.
import * as pulumi from "@pulumi/pulumi";
import { MailboxStatus, UserInfo } from "./client/client";
import { DoveadmError } from "./client/errors";
import { QuotaUsage, SieveScriptInfo } from "./client/plugins";
import { Connections } from "./connection";
import {
    MailboxInfo,
    MailboxLookupArgs,
    UserLookupArgs,
    UsersLookupArgs,
    mailboxStatusOf,
    mailboxesOf,
    quotaOf,
    sieveScriptsOf,
    userOf,
    usersOf,
} from "./queries";
import { SettingsError } from "./settings";

export {
    DEFAULT_USER_MASK,
    MailboxInfo,
    MailboxLookupArgs,
    UserLookupArgs,
    UsersLookupArgs,
} from "./queries";

let connections: Connections | undefined;

/** The program's connections, from its stack configuration (read without copying it anywhere). */
function program(): Connections {
    connections ??= new Connections({ get: (key) => pulumi.runtime.getConfig(key) });
    return connections;
}

/**
 * Runs a lookup. A failure keeps its class and code for a program that catches it; one the program
 * leaves uncaught is printed by Pulumi as its message alone, as a resource's failure is (it carries
 * the mark of Pulumi's RunError), instead of a stack trace and a dump of the error's fields.
 */
async function lookup<T>(work: (connections: Connections) => Promise<T>): Promise<T> {
    try {
        return await work(program());
    } catch (error) {
        if (error instanceof DoveadmError || error instanceof SettingsError) {
            Object.defineProperty(error, "__pulumiRunError", { value: true, enumerable: false });
            error.stack = `${error.name}: ${error.message}`;
        }
        throw error;
    }
}

/** One mailbox's status, or undefined when the user has no mailbox of that name. */
export function getMailboxStatus(args: MailboxLookupArgs): Promise<MailboxStatus | undefined> {
    return lookup((c) => mailboxStatusOf(c, args));
}

/** Every mailbox of a user with its status and subscription, in one request. */
export function listMailboxes(args: UserLookupArgs): Promise<MailboxInfo[]> {
    return lookup((c) => mailboxesOf(c, args));
}

/** The user's quota usage and limits (needs the quota plugin); STORAGE is in KiB. */
export function getQuota(args: UserLookupArgs): Promise<QuotaUsage[]> {
    return lookup((c) => quotaOf(c, args));
}

/** The user's Sieve scripts and which one is active (needs Pigeonhole). */
export function listSieveScripts(args: UserLookupArgs): Promise<SieveScriptInfo[]> {
    return lookup((c) => sieveScriptsOf(c, args));
}

/**
 * The names of the users the server's user database lists (doveadm `user`), sorted: every user, or
 * those matching `mask` (`*@example.org`). An empty list fails unless `allowEmpty: true` (it is almost
 * always an outage); a user database that cannot list its users fails naming the setting that lets
 * it (`iterate_query` for SQL, `iterate_attrs` and `iterate_filter` for LDAP).
 */
export function listUsers(args: UsersLookupArgs = {}): Promise<string[]> {
    return lookup((c) => usersOf(c, args));
}

/**
 * One user's fields in the server's user database (home, uid, gid, mail, quota rules and the rest),
 * or undefined when the user database does not know the user. Never a password: a field whose name
 * or value looks like one is dropped (see UserInfo).
 */
export function getUser(args: UserLookupArgs): Promise<UserInfo | undefined> {
    return lookup((c) => userOf(c, args));
}

/** `getMailboxStatus` for Inputs. */
export function getMailboxStatusOutput(
    args: pulumi.Input<{
        user: pulumi.Input<string>;
        mailbox: pulumi.Input<string>;
        server?: pulumi.Input<string>;
    }>,
): pulumi.Output<MailboxStatus | undefined> {
    return pulumi.output(args).apply((a) => getMailboxStatus(a));
}

/** `listMailboxes` for Inputs. */
export function listMailboxesOutput(
    args: pulumi.Input<{ user: pulumi.Input<string>; server?: pulumi.Input<string> }>,
): pulumi.Output<MailboxInfo[]> {
    return pulumi.output(args).apply((a) => listMailboxes(a));
}

/** `getQuota` for Inputs. */
export function getQuotaOutput(
    args: pulumi.Input<{ user: pulumi.Input<string>; server?: pulumi.Input<string> }>,
): pulumi.Output<QuotaUsage[]> {
    return pulumi.output(args).apply((a) => getQuota(a));
}

/** `listSieveScripts` for Inputs. */
export function listSieveScriptsOutput(
    args: pulumi.Input<{ user: pulumi.Input<string>; server?: pulumi.Input<string> }>,
): pulumi.Output<SieveScriptInfo[]> {
    return pulumi.output(args).apply((a) => listSieveScripts(a));
}

/** `listUsers` for Inputs. */
export function listUsersOutput(
    args: pulumi.Input<{
        mask?: pulumi.Input<string>;
        allowEmpty?: pulumi.Input<boolean>;
        server?: pulumi.Input<string>;
    }> = {},
): pulumi.Output<string[]> {
    return pulumi.output(args).apply((a) => listUsers(a));
}

/** `getUser` for Inputs. */
export function getUserOutput(
    args: pulumi.Input<{ user: pulumi.Input<string>; server?: pulumi.Input<string> }>,
): pulumi.Output<UserInfo | undefined> {
    return pulumi.output(args).apply((a) => getUser(a));
}
