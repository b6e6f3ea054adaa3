// The dispatcher: what the serialized provider objects load at call time (`pulumi-dovecot/dispatcher`,
// and `pulumi-dovecot/host` in state written by 0.1.0), which routes each engine call to the handler
// of its resource kind. Keeping the implementation here, behind a provider object of a few lines,
// means the state holds only a few hundred bytes per resource, old state runs the installed code
// after an upgrade, and module state (the client and its limits) is shared by every resource in the
// provider process.
import type * as pulumi from "@pulumi/pulumi";
import { appendFileSync } from "node:fs";
import { DoveadmError } from "./client/errors";
import { configureConnection, currentConnections } from "./connection";
import { PartialFailureError } from "./handlers/partial";
import { onServer, serverOfCall } from "./handlers/server";
import { keptInputs } from "./handlers/state";
import { SettingsError } from "./settings";
import { KINDS } from "./kinds";
import { LEGACY_KEYS } from "./serialized/table";

/**
 * A resource kind as the provider objects name it: its name (`Mailbox`), or the key a released provider
 * object passes (`mailbox`, see serialized/table.ts).
 */
export type ResourceKind = string;

/** The handler of the kind a provider object names, or undefined. */
function handlerOf(kind: ResourceKind): pulumi.dynamic.ResourceProvider | undefined {
    const name = LEGACY_KEYS[kind] ?? kind;
    return KINDS.find((k) => k.name === name)?.handler;
}

/**
 * When PULUMI_DOVECOT_TRACE names a file, each provider call appends a line with its kind, method,
 * start and end (ms since the epoch), for the benchmark's account of where `pulumi up` spends time.
 */
const traceFile = process.env.PULUMI_DOVECOT_TRACE;

/** Runs provider method `method` of resource kind `kind` with the engine's arguments. */
export async function dispatch(kind: ResourceKind, method: string, args: unknown[]): Promise<unknown> {
    const failed = (error: unknown) => withoutStack(onServer(error, serverOfCall(method, args)));
    if (!traceFile) return run(kind, method, args).catch(failed);
    const start = Date.now();
    try {
        return await run(kind, method, args).catch(failed);
    } finally {
        appendFileSync(
            traceFile,
            `${JSON.stringify({ kind, method, start, end: Date.now(), pid: process.pid })}\n`,
        );
    }
}

/**
 * The SDK prints `${error}: ${error.stack}` for failed read, delete, check and diff calls. For the
 * failures this package reports on purpose the message says it all; a stack trace would only bury it.
 */
function withoutStack(error: unknown): never {
    if (
        error instanceof DoveadmError ||
        error instanceof SettingsError ||
        error instanceof PartialFailureError
    ) {
        error.stack = "";
    }
    throw error;
}

/**
 * Why configure() failed, if it did. Pulumi's provider host configures a provider object once and
 * caches it even when configure() throws, so the failure is repeated by every later call: a malformed
 * setting stops the whole run, not only the first resource.
 */
let configureFailure: Error | undefined;

async function run(kind: ResourceKind, method: string, args: unknown[]): Promise<unknown> {
    if (method === "configure") {
        const request = args[0] as pulumi.dynamic.ConfigureRequest | undefined;
        configureFailure = undefined;
        configureConnection(request?.config);
        try {
            currentConnections().checkNamed();
        } catch (error) {
            configureFailure = error instanceof Error ? error : new Error(String(error));
            throw error;
        }
        return undefined;
    }
    if (configureFailure !== undefined) throw configureFailure;
    const handler = handlerOf(kind) as unknown as
        Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined> | undefined;
    if (!handler) throw new Error(`pulumi-dovecot: there is no resource kind ${JSON.stringify(kind)}`);
    const fn = handler[method];
    if (!fn) throw new Error(`pulumi-dovecot: resource kind ${kind} has no method ${method}`);
    if (method === "read")
        return keptInputs((await fn.apply(handler, args)) as { props?: Record<string, unknown> }, args[1]);
    return fn.apply(handler, args);
}
