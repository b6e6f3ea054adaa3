// The `server` input every resource has: the name of a configured server (dovecot:servers.<name>), or
// absent for the default one. Only the name enters inputs, outputs and state; the settings (and the
// credentials) stay in the stack configuration.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { MailboxStatus } from "../client/client";
import { DoveadmError, DoveadmNoUserError, DoveadmNotFoundError } from "../client/errors";
import { UNKNOWN } from "../check";
import { Claim, declaredElsewhere, nameOfClaimant } from "../claims";
import { clientFor, serverIdentity, unknownServer } from "../connection";
import { log } from "../engine";
import { DEFAULT_SERVER, SERVERS_SOURCE, SETTING_SOURCES, serverNameSchema } from "../settings";
import { unknownUser } from "./no-user";
import { PartialFailureError } from "./partial";

/** The `server` input: a server name, with "default" (the top-level settings) recorded as absent. */
export const serverInput = serverNameSchema
    .transform((name) => (name === DEFAULT_SERVER ? undefined : name))
    .optional()
    .meta({
        description:
            "The configured server the user's mail is on: a name under `dovecot:servers` (or `default`); absent: the default server. A change moves the resource to that server, unless it shows the same objects (a proxy in front of the backend, say).",
    });

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

// ---- Where a resource's objects are: the endpoint recorded with them (since 0.3). ----
// A server's name (or an explicit provider) may be pointed at another endpoint between two runs. The
// objects a resource made stay where they are, so each resource records the endpoint it wrote to, and
// compares it with where its server points now: the same objects seen there (the same server under a
// new name) change nothing; otherwise the next `up` says so, makes them at the new endpoint and leaves
// the old ones where they are, which this stack can no longer reach. Records of 0.2 have no endpoint.

/** A recorded endpoint: the normalized API URL, or `server:<name>` when none was usable. */
export const endpointSchema = z
    .string()
    .max(2048)
    .regex(/^(?:https?:\/\/\S+|server:[A-Za-z0-9_-]+)$/, "must be an http(s) URL or server:<name>")
    .optional()
    .meta({
        description:
            "The doveadm API endpoint (normalized, without credentials) the resource's server pointed at when the resource last wrote there; absent in records of 0.2. When the server is pointed elsewhere, the next `up` looks for the same objects there.",
    });

/** The endpoint the objects of a resource on `server` are written to now. */
export function endpointOf(server: string | undefined): string {
    return serverIdentity(server);
}

/** A change of endpoint between the record and the server's settings now. */
export interface Move {
    /** Where the record's objects are. */
    from: string;
    /** Where the server points now. */
    to: string;
}

/** The move of a record whose objects are at `recorded`, now that its server is `server`; undefined when none. */
export function moveOf(recorded: string | undefined, server: string | undefined): Move | undefined {
    if (recorded === undefined || (server as unknown) === UNKNOWN) return undefined;
    const to = endpointOf(server);
    return to === recorded ? undefined : { from: recorded, to };
}

/** The record of an entry's `props`: `server` only when one is named, and the endpoint it is written to. */
export function recordOf<T extends { server?: string }>(props: T): T & { endpoint: string } {
    return { ...withNamedServer(props), endpoint: endpointOf(props.server) };
}

/** The inputs a record stands for: the record without where it is. */
export function inputsOfRecord<T extends { endpoint?: string }>(props: T): Omit<T, "endpoint"> {
    const { endpoint: _endpoint, ...inputs } = props;
    return inputs;
}

/**
 * Says (as a warning) that `what` is not at the server's new endpoint, so `up` makes it there and leaves
 * the old one where it is.
 */
export function warnMoved(kind: string, what: string, server: string | undefined, move: Move): Promise<void> {
    return log(
        "warning",
        `${kind}: the server ${JSON.stringify(serverName(server))} was at ${move.from} and is now at ${move.to}, ` +
            `which does not show ${what}: \`pulumi up\` makes it at ${move.to} and leaves the one at ${move.from} ` +
            `as it is (this stack no longer manages it). If ${move.to} is the same server under another name, ` +
            "check that it shows the same objects; otherwise point the server back to run `pulumi destroy` there first.",
    );
}

/**
 * Whether a resource being deleted must leave its target alone, and why (logged): its server now
 * points elsewhere (the target stays where it is, out of reach), or another resource of this program
 * declares the same target (deleting it would undo that one). Undefined: delete it.
 */
export async function leaveAlone(
    kind: string,
    target: Claim,
    server: string | undefined,
    recordedEndpoint: string | undefined,
): Promise<string | undefined> {
    const move = moveOf(recordedEndpoint, server);
    if (move) {
        const why = `the server ${JSON.stringify(serverName(server))} now points at ${move.to}; ${target.what} stays at ${move.from}, which this stack no longer reaches`;
        await log("warning", `${kind}: ${why}. Delete it there by hand if it is not wanted.`);
        return why;
    }
    const other = declaredElsewhere(target);
    if (other) {
        const why = `${nameOfClaimant(other)} of this program declares ${target.what}`;
        await log("info", `${kind}: removed from the stack without touching the server: ${why}.`);
        return why;
    }
    return undefined;
}
