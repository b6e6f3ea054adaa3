// Client benchmark: N mailboxes across U users, created, read, renamed and deleted, three ways in one
// run against one sandbox Dovecot: baseline A (one raw HTTP request per operation, one at a time),
// baseline B (raw requests, `concurrency` at a time), and the provider's client (operations issued
// together; the client queues them per user and merges them into array-form commands).
import { request } from "undici";
import { DoveadmClient, resetEndpointState } from "../provider/client/client";
import { resolveSettings } from "../provider/settings";
import { Sandbox } from "../test/harness/dovecot";

/** One measured phase of one variant. */
export interface PhaseResult {
    variant: string;
    phase: string;
    ops: number;
    seconds: number;
    opsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
}

const PHASES = ["create", "read", "rename", "delete"] as const;
type Phase = (typeof PHASES)[number];

function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return 0;
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    return sorted[Math.max(0, index)] ?? 0;
}

function summarize(
    variant: string,
    phase: string,
    latencies: number[],
    seconds: number,
    requests: number,
): PhaseResult {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
        variant,
        phase,
        ops: latencies.length,
        seconds,
        opsPerSecond: latencies.length / seconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        requests,
    };
}

/** Runs `tasks` with at most `limit` in flight; returns each task's latency in ms. */
async function pool(tasks: Array<() => Promise<void>>, limit: number): Promise<number[]> {
    const latencies: number[] = new Array<number>(tasks.length);
    let next = 0;
    const worker = async () => {
        while (next < tasks.length) {
            const index = next++;
            const started = performance.now();
            await (tasks[index] as () => Promise<void>)();
            latencies[index] = performance.now() - started;
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
    return latencies;
}

interface Target {
    user: string;
    name: string;
    renamed: string;
}

/**
 * The mailboxes of a run, users taken in turn (F0 of every user, then F1, ...): the raw baselines'
 * concurrent requests then go to different users. Dovecot 2.3 was seen to refuse, rarely, a create
 * of a new name as "exists" (65) while other creates of the same user ran at the same moment.
 */
function targets(users: string[], perUser: number, prefix: string): Target[] {
    const list: Target[] = [];
    for (let i = 0; i < perUser; i++) {
        for (const user of users) list.push({ user, name: `${prefix}/F${i}`, renamed: `${prefix}/R${i}` });
    }
    return list;
}

/** A raw doveadm call: one command, one request, no retry. Fails loudly on any error. */
async function raw(sandbox: Sandbox, command: string, params: Record<string, unknown>): Promise<void> {
    const response = await request(`${sandbox.endpoint}/doveadm/v1`, {
        method: "POST",
        headers: {
            authorization: `X-Dovecot-API ${Buffer.from(sandbox.apiKey).toString("base64")}`,
            "content-type": "application/json",
        },
        body: JSON.stringify([[command, params, "b"]]),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || !text.startsWith('[["doveadmResponse"')) {
        throw new Error(
            `baseline ${command} ${JSON.stringify(params)} failed: ${response.statusCode} ${text.slice(0, 200)}`,
        );
    }
}

function rawTask(sandbox: Sandbox, phase: Phase, t: Target): () => Promise<void> {
    switch (phase) {
        case "create":
            return () => raw(sandbox, "mailboxCreate", { user: t.user, mailbox: [t.name] });
        case "read":
            return () =>
                raw(sandbox, "mailboxStatus", {
                    user: t.user,
                    field: ["guid", "messages"],
                    mailboxMask: [t.name],
                });
        case "rename":
            return () => raw(sandbox, "mailboxRename", { user: t.user, mailbox: t.name, newName: t.renamed });
        case "delete":
            return () =>
                raw(sandbox, "mailboxDelete", { user: t.user, mailbox: [t.renamed], requireEmpty: true });
    }
}

async function runBaseline(
    sandbox: Sandbox,
    variant: string,
    list: Target[],
    concurrency: number,
    countRequests: () => Promise<number>,
    phases: readonly Phase[] = PHASES,
): Promise<PhaseResult[]> {
    const results: PhaseResult[] = [];
    for (const phase of phases) {
        const before = await countRequests();
        const started = performance.now();
        const latencies = await pool(
            list.map((t) => rawTask(sandbox, phase, t)),
            concurrency,
        );
        const seconds = (performance.now() - started) / 1000;
        results.push(summarize(variant, phase, latencies, seconds, (await countRequests()) - before));
    }
    return results;
}

async function runClient(
    sandbox: Sandbox,
    list: Target[],
    concurrency: number,
    countRequests: () => Promise<number>,
    phases: readonly Phase[] = PHASES,
) {
    resetEndpointState();
    const client = new DoveadmClient(
        resolveSettings(undefined, {
            DOVEADM_ENDPOINT: sandbox.endpoint,
            DOVEADM_API_KEY: sandbox.apiKey,
            DOVEADM_MAX_CONCURRENCY: String(concurrency),
            DOVEADM_TIMEOUT_MS: "120000",
        }),
    );
    const operation: Record<Phase, (t: Target) => Promise<unknown>> = {
        create: (t) => client.createMailbox(t.user, t.name),
        read: async (t) => {
            const status = await client.findStatus(t.user, t.name);
            if (!status) throw new Error(`client read found no ${t.name}`);
        },
        rename: (t) => client.mailboxRename(t.user, t.name, t.renamed),
        delete: (t) => client.deleteMailbox(t.user, t.renamed, { requireEmpty: true }),
    };
    const results: PhaseResult[] = [];
    for (const phase of phases) {
        const before = await countRequests();
        const started = performance.now();
        // Everything is issued at once, as the Pulumi engine would if it had no parallelism limit;
        // each latency runs from the call to its own completion, queueing included.
        const latencies = await Promise.all(
            list.map(async (t) => {
                const t0 = performance.now();
                await operation[phase](t);
                return performance.now() - t0;
            }),
        );
        const seconds = (performance.now() - started) / 1000;
        results.push(summarize("client", phase, latencies, seconds, (await countRequests()) - before));
    }
    await client.close();
    return results;
}

/** Runs the three variants, each on its own mailbox names, on one server. */
export async function benchmarkClient(
    sandbox: Sandbox,
    options: {
        mailboxes: number;
        users: string[];
        concurrency: number;
        countRequests: () => Promise<number>;
    },
): Promise<PhaseResult[]> {
    const perUser = Math.ceil(options.mailboxes / options.users.length);
    const results: PhaseResult[] = [];
    results.push(
        ...(await runBaseline(
            sandbox,
            "A (raw, 1 at a time)",
            targets(options.users, perUser, "BA"),
            1,
            options.countRequests,
        )),
    );
    results.push(
        ...(await runBaseline(
            sandbox,
            `B (raw, ${options.concurrency} at a time)`,
            targets(options.users, perUser, "BB"),
            options.concurrency,
            options.countRequests,
        )),
    );
    results.push(
        ...(await runClient(
            sandbox,
            targets(options.users, perUser, "CL"),
            options.concurrency,
            options.countRequests,
        )),
    );
    return results;
}

/** Targets for a create-then-delete run: each deleted under the name it was created with. */
function unrenamed(users: string[], perUser: number, prefix: string): Target[] {
    return targets(users, perUser, prefix).map((t) => ({ ...t, renamed: t.name }));
}

/**
 * The engine benchmark's HTTP baseline: `perUser` mailboxes for each user created, then deleted, by
 * raw requests `concurrency` at a time (one request per mailbox and operation, nothing else).
 */
export function rawCreateDelete(
    sandbox: Sandbox,
    variant: string,
    options: { users: string[]; perUser: number; prefix: string; concurrency: number },
    countRequests: () => Promise<number>,
): Promise<PhaseResult[]> {
    const list = unrenamed(options.users, options.perUser, options.prefix);
    return runBaseline(sandbox, variant, list, options.concurrency, countRequests, ["create", "delete"]);
}

/**
 * The engine benchmark's limit: the same `perUser` mailboxes for each user created, then deleted, by
 * this package's client with every operation issued at once (its own bulk speed, the server's work
 * for the operations a stack of Mailboxes makes).
 */
export function clientCreateDelete(
    sandbox: Sandbox,
    options: { users: string[]; perUser: number; prefix: string; concurrency: number },
    countRequests: () => Promise<number>,
): Promise<PhaseResult[]> {
    const list = unrenamed(options.users, options.perUser, options.prefix);
    return runClient(sandbox, list, options.concurrency, countRequests, ["create", "delete"]);
}
