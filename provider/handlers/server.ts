// The `server` input every resource has: the name of a configured server (dovecot:servers.<name>), or
// absent for the default one. Only the name enters inputs, outputs and state; the settings (and the
// credentials) stay in the stack configuration.
import type * as pulumi from "@pulumi/pulumi";
import { MailboxStatus } from "../client/client";
import { DoveadmError, DoveadmNoUserError, DoveadmNotFoundError } from "../client/errors";
import { UNKNOWN } from "../check";
import { clientFor, unknownServer } from "../connection";
import { DEFAULT_SERVER, SERVERS_SOURCE, SETTING_SOURCES, serverNameSchema } from "../settings";
import { unknownUser } from "./no-user";
import { PartialFailureError } from "./partial";

/** The `server` input: a server name, with "default" (the top-level settings) recorded as absent. */
export const serverInput = serverNameSchema
    .transform((name) => (name === DEFAULT_SERVER ? undefined : name))
    .optional();

/** check()'s failure for a server name the configuration does not know. */
export function serverFailures(inputs: Record<string, unknown>): pulumi.dynamic.CheckFailure[] {
    const server = inputs.server;
    if (server === UNKNOWN || (server !== undefined && typeof server !== "string")) return [];
    const problem = unknownServer(server);
    return problem ? [{ property: "server", reason: problem }] : [];
}

/** The `server` recorded in (or given with) a resource's properties, when it is a string. */
export function serverOf(props: unknown): string | undefined {
    const server = (props as { server?: unknown } | undefined)?.server;
    return typeof server === "string" ? server : undefined;
}

/** `props` as recorded: `server` only when one is named (the default server is recorded as absent). */
export function withNamedServer<T extends { server?: string }>(props: T): T {
    const { server, ...rest } = props;
    return { ...rest, ...(server === undefined ? {} : { server }) } as T;
}

/**
 * A failure of a resource that belongs to a mailbox (an ACL entry, a METADATA entry), explained: an
 * unknown user, or a mailbox that is not there yet (exit 68).
 */
export function mailboxItemError(error: unknown, kind: string, what: string): unknown {
    if (error instanceof DoveadmNoUserError) return unknownUser(error, kind);
    if (error instanceof DoveadmNotFoundError) {
        return new DoveadmNotFoundError(
            "DOVEADM_MAILBOX_NOT_FOUND",
            error.context,
            "the mailbox does not exist (exit 68)",
            `Create the mailbox first: declare it with a Mailbox (or a FolderSet) and pass its \`name\` output to this ${kind}, so that it is created before its ${what}.`,
            { exitCode: 68 },
        );
    }
    return error;
}

/** The name a resource's server is known by in messages and outputs. */
export function serverName(server: string | undefined): string {
    return server ?? DEFAULT_SERVER;
}

/**
 * Whether a change of `server` leaves the folder where it is: true when the new server shows the
 * user's mailbox with this GUID, as when a program moves from addressing a backend directly to its
 * proxy. Then nothing is deleted and made again. Any failure to tell counts as a move (a replace,
 * whose delete refuses a folder that holds messages).
 */
export async function sameFolderOn(
    server: string | undefined,
    user: string,
    guids: readonly string[],
): Promise<boolean> {
    if ((server as unknown) === UNKNOWN || guids.length === 0) return false;
    try {
        const snapshot = await clientFor(server).snapshot(user);
        const seen = new Set(snapshot.mailboxes.map((m: MailboxStatus) => m.guid));
        return guids.every((guid) => seen.has(guid));
    } catch (error) {
        if (error instanceof DoveadmError && !error.fatal) return false;
        throw error;
    }
}

/**
 * The error with the named server it happened on, for a resource on a named server: with several
 * servers, "which one" is the first question. Its advice names that server's settings
 * (`dovecot:servers.<name>.apiKey`) instead of the default server's (`dovecot:apiKey`).
 */
export function onServer(error: unknown, server: string | undefined): unknown {
    if (server === undefined) return error;
    if (error instanceof DoveadmError && error.context.server === undefined) {
        let hint = error.hint;
        if (server !== DEFAULT_SERVER) {
            for (const [name, source] of Object.entries(SETTING_SOURCES)) {
                const own = `${SERVERS_SOURCE.config}.${server}.${name}`;
                hint = hint
                    .replaceAll(`${source.config} (or ${source.env})`, own)
                    .replaceAll(source.config, own);
            }
        }
        return error.withContext({ ...error.context, server }, hint);
    }
    if (error instanceof PartialFailureError && error.cause instanceof DoveadmError) {
        const named = onServer(error.cause, server);
        // The properties already carry the serialized provider, so no inputs are needed to add it.
        return named === error.cause ? error : new PartialFailureError(error.id, error.properties, named, {});
    }
    return error;
}

/** The server a provider call is about, from its arguments, for naming it in errors. */
export function serverOfCall(method: string, args: readonly unknown[]): string | undefined {
    const props = (index: number) => {
        const value = args[index] as Record<string, unknown> | undefined;
        return typeof value?.server === "string" ? value.server : undefined;
    };
    switch (method) {
        case "create":
            return props(0);
        case "diff":
        case "update":
            return props(2);
        case "read":
        case "delete":
            return props(1);
        default:
            return undefined;
    }
}
