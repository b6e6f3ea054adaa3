// The read-only lookups themselves (a mailbox's status, a user's mailboxes, quota, Sieve scripts, the
// users of the user database and one user's fields), given the connections to read through: a
// program's (lookups.ts) or the provider plugin's (Invoke in plugin/server.ts). Arguments are
// checked before anything is sent.
import { MailboxStatus, UserInfo } from "./client/client";
import { DoveadmNotFoundError, DoveadmUsageError, DoveadmUserDatabaseError } from "./client/errors";
import { QuotaUsage, SieveScriptInfo } from "./client/plugins";
import { Connections } from "./connection";
import { mailboxNameProblem, userProblem } from "./names";
import { SettingsError } from "./settings";

/** Which user, on which configured server (absent: the default one). */
export interface UserLookupArgs {
    /** The user, as the server's user database knows them (`alice@example.org`). */
    user: string;
    /** The configured server (a name under `dovecot:servers`); absent: the default server. */
    server?: string;
}

/** A mailbox and its user, on which configured server. */
export interface MailboxLookupArgs extends UserLookupArgs {
    /** The mailbox's full name, levels joined by the server's separator. */
    mailbox: string;
}

/** Which users to list, on which configured server (absent: the default one). */
export interface UsersLookupArgs {
    /**
     * Which users: a user name with the wildcards `*` (any run of characters) and `?` (one character),
     * matched without regard to letter case; default `*`, every user. `*@example.org`: one domain.
     */
    mask?: string;
    /**
     * Whether an empty list is an answer (true) or a failure (false, the default): a user database that
     * lists no one is almost always one that answered nothing (an LDAP or SQL server down or
     * misconfigured), and a program that gives every listed user resources would delete everyone's.
     */
    allowEmpty?: boolean;
    /** The configured server (a name under `dovecot:servers`); absent: the default server. */
    server?: string;
}

/** The mask listUsers uses when none is given: every user. */
export const DEFAULT_USER_MASK = "*";

/** A mailbox as `listMailboxes` reports it: its status and whether the user is subscribed to it. */
export interface MailboxInfo extends MailboxStatus {
    /** Whether the user is subscribed to it. */
    subscribed: boolean;
}

/** The client for a lookup, after checking its arguments (nothing is sent for bad ones). */
function clientOf(connections: Connections, command: string, args: UserLookupArgs, mailbox?: string) {
    const context = { command, user: String(args?.user), mailbox };
    const problem = typeof args?.user === "string" ? userProblem(args.user) : "must be a string";
    if (problem) {
        throw new DoveadmUsageError(
            "DOVEADM_INVALID_USER",
            context,
            `the user name ${problem}; nothing was sent`,
            "Pass the user as the server's user database knows it, such as alice@example.org.",
        );
    }
    const unknown = connections.unknownServer(args.server);
    if (unknown) throw new SettingsError(unknown, ["server"]);
    return connections.clientFor(args.server);
}

/** One mailbox's status, or undefined when the user has no mailbox of that name. */
export async function mailboxStatusOf(
    connections: Connections,
    args: MailboxLookupArgs,
): Promise<MailboxStatus | undefined> {
    const client = clientOf(connections, "mailboxStatus", args, args?.mailbox);
    const separator = client.settings.separator;
    const problem =
        typeof args.mailbox === "string" ? mailboxNameProblem(args.mailbox, separator) : "must be a string";
    if (problem) {
        throw new DoveadmUsageError(
            "DOVEADM_INVALID_NAME",
            { command: "mailboxStatus", user: args.user, mailbox: String(args.mailbox) },
            `the mailbox name ${problem}; nothing was sent`,
            "Pass the mailbox's full name, levels joined by the server's separator.",
        );
    }
    return client.findStatus(args.user, args.mailbox);
}

/** Every mailbox of a user with its status and subscription, in one request. */
export async function mailboxesOf(connections: Connections, args: UserLookupArgs): Promise<MailboxInfo[]> {
    const snapshot = await clientOf(connections, "mailboxList", args).snapshot(args.user, 0);
    return snapshot.mailboxes.map((m) => ({ ...m, subscribed: snapshot.subscriptions.includes(m.name) }));
}

/** The user's quota usage and limits (needs the quota plugin); STORAGE is in KiB. */
export function quotaOf(connections: Connections, args: UserLookupArgs): Promise<QuotaUsage[]> {
    return clientOf(connections, "quotaGet", args).quotaGet(args.user);
}

/** The user's Sieve scripts and which one is active (needs Pigeonhole). */
export async function sieveScriptsOf(
    connections: Connections,
    args: UserLookupArgs,
): Promise<SieveScriptInfo[]> {
    try {
        return await clientOf(connections, "sieveList", args).sieveList(args.user);
    } catch (error) {
        // A user who never stored a script may have no Sieve storage yet.
        if (error instanceof DoveadmNotFoundError) return [];
        throw error;
    }
}

/**
 * The names of the users the user database lists that match the mask, sorted, each once. An empty
 * list fails (DOVEADM_USERDB_EMPTY) unless `allowEmpty`; a user database that cannot list its users
 * fails with DOVEADM_USERDB_NO_ITERATION, which names the setting that makes it list them.
 */
export async function usersOf(connections: Connections, args: UsersLookupArgs = {}): Promise<string[]> {
    const mask = args?.mask ?? DEFAULT_USER_MASK;
    const context = { command: "user", item: `mask ${JSON.stringify(String(mask))}` };
    if (args?.allowEmpty !== undefined && typeof args.allowEmpty !== "boolean") {
        throw new DoveadmUsageError(
            "DOVEADM_INVALID_ARGUMENT",
            context,
            "allowEmpty must be true or false; nothing was sent",
            "Pass allowEmpty: true to accept an empty list, or leave it out.",
        );
    }
    const unknown = connections.unknownServer(args?.server);
    if (unknown) throw new SettingsError(unknown, ["server"]);
    const users = await connections.clientFor(args?.server).listUsers(mask);
    if (users.length === 0 && args?.allowEmpty !== true) {
        throw new DoveadmUserDatabaseError(
            "DOVEADM_USERDB_EMPTY",
            context,
            `the server's user database lists no user matching ${JSON.stringify(mask)}, so no list was returned`,
            `An empty list is almost always a user database that answered nothing (an LDAP or SQL server down or misconfigured), and a program that gives every listed user resources would delete them all. Check the user database (\`doveadm user '${mask}'\` on the server lists what Dovecot sees) and run again; if no user matching the mask is expected, pass allowEmpty: true.`,
        );
    }
    return [...new Set(users)].sort();
}

/** One user's userdb fields (see UserInfo: password-like fields dropped), or undefined when the user database does not know the user. */
export function userOf(connections: Connections, args: UserLookupArgs): Promise<UserInfo | undefined> {
    return clientOf(connections, "user", args).getUser(args.user);
}
