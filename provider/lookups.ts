// Read-only lookups for programs: plain async functions (and `…Output` forms taking Inputs) that read
// a user's mailboxes, quota or Sieve scripts while the program runs, with no resource and no state.
// They read the same settings as the resources (dovecot:* and dovecot:servers, else DOVEADM_*) in the
// program's own process; nothing they read is recorded anywhere.
import * as pulumi from "@pulumi/pulumi";
import { MailboxStatus } from "./client/client";
import { DoveadmError, DoveadmNotFoundError, DoveadmUsageError } from "./client/errors";
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

let connections: Connections | undefined;

/** The program's connections, from its stack configuration (read without copying it anywhere). */
function program(): Connections {
    connections ??= new Connections({ get: (key) => pulumi.runtime.getConfig(key) });
    return connections;
}

/** The client for a lookup, after checking its arguments (nothing is sent for bad ones). */
function clientOf(command: string, args: UserLookupArgs, mailbox?: string) {
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
    const unknown = program().unknownServer(args.server);
    if (unknown) throw new SettingsError(unknown, ["server"]);
    return program().clientFor(args.server);
}

/**
 * Runs a lookup. A failure keeps its class and code for a program that catches it; one the program
 * leaves uncaught is printed by Pulumi as its message alone, as a resource's failure is (it carries
 * the mark of Pulumi's RunError), instead of a stack trace and a dump of the error's fields.
 */
async function lookup<T>(work: () => Promise<T>): Promise<T> {
    try {
        return await work();
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
    return lookup(() => mailboxStatusOf(args));
}

async function mailboxStatusOf(args: MailboxLookupArgs): Promise<MailboxStatus | undefined> {
    const client = clientOf("mailboxStatus", args, args?.mailbox);
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
export function listMailboxes(args: UserLookupArgs): Promise<MailboxInfo[]> {
    return lookup(async () => {
        const snapshot = await clientOf("mailboxList", args).snapshot(args.user, 0);
        return snapshot.mailboxes.map((m) => ({ ...m, subscribed: snapshot.subscriptions.includes(m.name) }));
    });
}

/** The user's quota usage and limits (needs the quota plugin); STORAGE is in KiB. */
export function getQuota(args: UserLookupArgs): Promise<QuotaUsage[]> {
    return lookup(() => clientOf("quotaGet", args).quotaGet(args.user));
}

/** The user's Sieve scripts and which one is active (needs Pigeonhole). */
export function listSieveScripts(args: UserLookupArgs): Promise<SieveScriptInfo[]> {
    return lookup(async () => {
        try {
            return await clientOf("sieveList", args).sieveList(args.user);
        } catch (error) {
            // A user who never stored a script may have no Sieve storage yet.
            if (error instanceof DoveadmNotFoundError) return [];
            throw error;
        }
    });
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
