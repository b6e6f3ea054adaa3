// Reload Dovecot's configuration when `triggers` change. `reload` answers at once and the reload
// happens after, so wait (bounded) until the API answers again before reporting success.
import type * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { DoveadmClient } from "../../client/client";
import { DoveadmError, DoveadmServerError, DoveadmUnreachableError } from "../../client/errors";
import { checkInputs } from "../../check";
import { fromState } from "../../handlers/state";
import { clientFor, unknownServer } from "../../connection";
import { DEFAULT_SERVER, serverNameSchema } from "../../settings";
import { PartialFailureError } from "../../handlers/partial";
import { onServer } from "../../handlers/server";
import { reloadProgress } from "../../progress";
import { ReloadProps, reloadInputShape, reloadOutputShape } from "./schema";

/** The recorded outputs, as read back from Pulumi's state. */
const recordedShape = z.object({
    triggers: z.array(z.unknown()).default([]),
    server: serverNameSchema.optional(),
    servers: z.array(serverNameSchema).optional(),
    ...reloadOutputShape(),
});

/** The servers a Reload reloads, by name (`default` for the top-level settings). */
function targets(props: ReloadProps): string[] {
    return props.servers ?? [props.server ?? DEFAULT_SERVER];
}

/**
 * When each server was reloaded, as recorded, by name. State written before servers could be named
 * holds only `reloadedAt`, which was the default server's. (A Map, never an object indexed by a name:
 * `constructor` and `toString` are valid server names.)
 */
function reloadedOf(props: z.output<typeof recordedShape>): Map<string, string> {
    if (props.reloaded) return new Map(Object.entries(props.reloaded));
    return new Map(props.reloadedAt ? [[DEFAULT_SERVER, props.reloadedAt]] : []);
}

/** The outputs for `inputs` and the reload times `reloaded` (only of the servers still listed). */
function outputsOf(inputs: ReloadProps, reloaded: ReadonlyMap<string, string>): ReloadProps {
    const kept = Object.fromEntries(
        targets(inputs).flatMap((n) => {
            const at = reloaded.get(n);
            return at === undefined ? [] : [[n, at]];
        }),
    ) as Record<string, string>;
    const times = Object.values(kept).sort();
    return {
        triggers: inputs.triggers,
        ...(inputs.server === undefined ? {} : { server: inputs.server }),
        ...(inputs.servers === undefined ? {} : { servers: inputs.servers }),
        ...(times.length > 0 ? { reloadedAt: times[times.length - 1] } : {}),
        reloaded: kept,
    };
}

/** How long to wait for the API to answer after a reload. */
export const RELOAD_SETTLE_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `reload`, waits until the API has answered twice in a row (at most `timeoutMs`), then checks
 * that Dovecot loaded the new configuration: `reload` is answered at once whatever happens after, and a
 * configuration that does not parse is logged and ignored, the server going on with the old one. A
 * reload that loads replaces Dovecot's config process, one that does not leaves it (on 2.3 and 2.4
 * alike), so the config process ids before and after tell. Why it failed is only in the server's log,
 * which Dovecot 2.4 also shows through `doveadm log errors` when that is allowed.
 */
export async function reloadAndWait(
    client: DoveadmClient,
    timeoutMs = RELOAD_SETTLE_TIMEOUT_MS,
): Promise<void> {
    // Errors of the checks around it are the reload's: that is what the program asked for.
    const before = await client.configProcesses().catch((error: unknown) => {
        throw asReload(error);
    });
    await client.reload();
    const deadline = Date.now() + timeoutMs;
    let answered = 0;
    let lastError: unknown;
    const progress = reloadProgress(client, timeoutMs);
    try {
        // Give the master a moment to act on the signal before the first probe.
        await sleep(200);
        while (answered < 2) {
            if (Date.now() > deadline) {
                throw new DoveadmUnreachableError(
                    "DOVEADM_RELOAD_TIMEOUT",
                    { command: "reload" },
                    `the API did not answer within ${timeoutMs} ms after the reload${lastError instanceof Error ? ` (last error: ${lastError.message})` : ""}`,
                    "Check that Dovecot came back after the reload (doveadm log errors; the new configuration may be invalid: a configuration file that does not parse can stop every request), then run again.",
                );
            }
            try {
                await client.commands();
                answered++;
            } catch (error) {
                if (error instanceof DoveadmError && error.fatal) throw error;
                answered = 0;
                lastError = error;
                progress.notAnswering(error);
            }
            await sleep(100);
        }
        progress.answered();
    } finally {
        progress.stop();
    }
    const after = await client.configProcesses().catch((error: unknown) => {
        throw asReload(error);
    });
    if (before.some((pid) => after.includes(pid))) throw await notLoaded(client);
}

/** A failure of a request made for a reload, reported as the reload's (its reason names the request). */
function asReload(error: unknown): unknown {
    if (!(error instanceof DoveadmError)) return error;
    return error.withContext({ ...error.context, command: "reload" }, error.hint);
}

/** The error of a reload that Dovecot answered but did not load, with the server's reason when it tells. */
async function notLoaded(client: DoveadmClient): Promise<DoveadmError> {
    // Dovecot 2.4 lists the master's failure among its recent errors; 2.3 only writes it to its log.
    const lines = await client.logErrors().catch(() => []);
    const failure = [...lines]
        .reverse()
        .find(
            (line) =>
                line.prefix === "master: " && /configuration/i.test(line.text) && line.type !== "Warning",
        );
    return new DoveadmServerError(
        "DOVEADM_RELOAD_NOT_LOADED",
        { command: "reload" },
        `Dovecot did not load the new configuration and goes on with the one it had (its config process is the one from before the reload)${failure ? `; the server says: ${failure.text.slice(0, 500)}` : ""}`,
        "Check the configuration on the server (doveconf -n names the file and line; the server's log, or doveadm log errors on Dovecot 2.4, says what is wrong), fix it, and run `pulumi up` again: this reload is recorded as not done, so that run reloads again.",
    );
}

/**
 * Reloads each of `names` at once and waits for each to answer again. Returns when each one finished;
 * a server that failed is left out, and its failure is in `failures` (the others are not undone).
 */
async function reloadEach(
    names: string[],
    named: boolean,
): Promise<{ done: Map<string, string>; failures: unknown[] }> {
    const done = new Map<string, string>();
    const failures: unknown[] = [];
    await Promise.all(
        names.map(async (name) => {
            try {
                await reloadAndWait(clientFor(name === DEFAULT_SERVER ? undefined : name));
                done.set(name, new Date().toISOString());
            } catch (error) {
                // Which server failed is the first thing to know when there are several.
                failures.push(named ? onServer(error, name) : error);
            }
        }),
    );
    return { done, failures };
}

/** The error for the failed reloads; the engine shows its message. */
function reloadFailure(failures: unknown[], done: ReadonlyMap<string, string>): unknown {
    if (failures.length === 1 && done.size === 0) return failures[0];
    const text = failures.map((f) => (f instanceof Error ? f.message : String(f))).join("\n");
    const reloaded = [...done.keys()];
    return new Error(
        `${failures.length} reload(s) failed:\n${text}` +
            (reloaded.length > 0
                ? `\nReloaded, and not undone: ${reloaded.map((n) => JSON.stringify(n)).join(", ")}. The next \`pulumi up\` reloads only the servers that failed.`
                : ""),
    );
}

/**
 * Reloads `names`, and returns the outputs with their times added to `reloaded`. When some fail, the
 * resource is recorded with the ones that did (so the next `up` reloads only the others), unless
 * none did and nothing was recorded before.
 */
async function reloadRecorded(
    id: string,
    inputs: ReloadProps,
    names: string[],
    reloaded: ReadonlyMap<string, string>,
    engineInputs: object,
    recordedBefore: boolean,
): Promise<ReloadProps> {
    const { done, failures } = await reloadEach(
        names,
        inputs.servers !== undefined || inputs.server !== undefined,
    );
    const outs = outputsOf(inputs, new Map([...reloaded, ...done]));
    if (failures.length === 0) return outs;
    const error = reloadFailure(failures, done);
    if (done.size === 0 && !recordedBefore) throw error;
    throw new PartialFailureError(id, outs, error, engineInputs);
}

/** The Reload provider's methods. */
export const reloadHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: Record<string, unknown>) {
        return checkInputs(reloadInputShape, news, (inputs) => {
            const failures = [];
            if (inputs.server !== undefined && inputs.servers !== undefined)
                failures.push({
                    property: "servers",
                    reason: "set either server or servers, not both (servers may name one server)",
                });
            const names = Array.isArray(inputs.servers) ? (inputs.servers as unknown[]) : [inputs.server];
            for (const name of names) {
                const problem = typeof name === "string" ? unknownServer(name) : undefined;
                if (problem)
                    failures.push({ property: inputs.servers ? "servers" : "server", reason: problem });
            }
            return failures;
        });
    },

    async diff(id, oldProps, news: ReloadProps) {
        const olds = fromState("Reload", "diff", id, oldProps, recordedShape);
        const reloaded = reloadedOf(olds);
        const changes =
            !isDeepStrictEqual(olds.triggers, news.triggers ?? []) ||
            !isDeepStrictEqual(targets(olds), targets(news)) ||
            targets(news).some((name) => !reloaded.has(name));
        return { changes };
    },

    async create(inputs: ReloadProps) {
        const id = `reload-${new Date().toISOString()}`;
        const outs = await reloadRecorded(id, inputs, targets(inputs), new Map(), inputs, false);
        return { id, outs };
    },

    async read(id, props) {
        // A reload leaves nothing on the server to read back.
        const recordedProps = fromState("Reload", "read", id, props, recordedShape);
        const inputs = {
            triggers: recordedProps.triggers,
            ...(recordedProps.server === undefined ? {} : { server: recordedProps.server }),
            ...(recordedProps.servers === undefined ? {} : { servers: recordedProps.servers }),
        };
        return { id, props: recordedProps, inputs };
    },

    async update(id, oldProps, news: ReloadProps) {
        const olds = fromState("Reload", "update", id, oldProps, recordedShape);
        // New triggers: every server again. Otherwise only the servers that were added, or failed.
        const retrigger = !isDeepStrictEqual(olds.triggers, news.triggers ?? []);
        const reloaded = retrigger ? new Map<string, string>() : reloadedOf(olds);
        const names = targets(news).filter((name) => !reloaded.has(name));
        return { outs: await reloadRecorded(id, news, names, reloaded, news, true) };
    },

    async delete() {
        // Removing a Reload from the program does not touch the server.
    },
};
