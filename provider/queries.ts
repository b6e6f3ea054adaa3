// The read-only lookups themselves (a mailbox's status, a user's mailboxes, quota, Sieve scripts),
// given the connections to read through: a program's (lookups.ts) or the provider plugin's
// (Invoke in plugin/server.ts). Arguments are checked before anything is sent.
import { MailboxStatus } from "./client/client";
import { DoveadmNotFoundError, DoveadmUsageError } from "./client/errors";
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
