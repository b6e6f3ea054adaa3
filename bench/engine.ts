// Engine benchmark: `pulumi up`, `preview`, `refresh` and `destroy` of a stack of many mailboxes,
// with the package installed as a user installs it. For each command: wall time, the requests that
// reached the server (counted from Dovecot's own log), the provider's share of the wall time (from the
// PULUMI_DOVECOT_TRACE call log) and the provider process's peak memory (sampled from /proc).
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox } from "../test/harness/dovecot";
import { compileNodeSdk, installNodeSdk, removeNodeSdk } from "../test/harness/node-sdk";
import { PulumiProject, ResourceSpec } from "../test/harness/pulumi";

/** One measured pulumi command. */
export interface EngineResult {
    shape: string;
    /** Mailboxes (or no-op resources standing for them) in the stack. */
    size: number;
    /** Whether PULUMI_SKIP_CHECKPOINTS was set. */
    skipCheckpoints: boolean;
    command: string;
    seconds: number;
    requests: number;
    providerBusySeconds: number;
    providerCalls: number;
    peakProviderRssMb: number;
    /** `--parallel`, when not the CLI's default. */
    parallel?: number;
}

/** The state's size, measured after `up`. */
export interface StateSize {
    shape: string;
    mailboxes: number;
    resources: number;
    totalBytes: number;
    bytesPerMailbox: number;
}

/** Peak resident memory of the provider processes (dynamic, or the `dovecot` plugin) while `body` runs, in MB. */
export async function withPeakMemory<T>(body: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
    let peakKb = 0;
    const sample = () => {
        for (const pid of readdirSync("/proc")) {
            if (!/^\d+$/.test(pid)) continue;
            try {
                const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
                if (
                    !cmdline.includes("dynamic-provider") &&
                    !cmdline.includes("plugin/main.js") &&
                    !cmdline.includes("pulumi-resource-dovecot")
                )
                    continue;
                const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
                if (match) peakKb = Math.max(peakKb, Number(match[1]));
            } catch {
                // the process ended between listing and reading
            }
        }
    };
    const timer = setInterval(sample, 50);
    try {
        const value = await body();
        return { value, peakMb: peakKb / 1024 };
    } finally {
        clearInterval(timer);
    }
}

/** Seconds during which at least one provider call was running (the union of the call intervals). */
function busySeconds(traceFile: string, since: number): { seconds: number; calls: number } {
    if (!existsSync(traceFile)) return { seconds: 0, calls: 0 };
    const intervals = readFileSync(traceFile, "utf8")
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as { start: number; end: number })
        .filter((entry) => entry.start >= since)
        .sort((a, b) => a.start - b.start);
    let busy = 0;
    let currentStart = -1;
    let currentEnd = -1;
    for (const { start, end } of intervals) {
        if (start > currentEnd) {
            if (currentEnd > currentStart) busy += currentEnd - currentStart;
            currentStart = start;
            currentEnd = end;
        } else currentEnd = Math.max(currentEnd, end);
    }
    if (currentEnd > currentStart) busy += currentEnd - currentStart;
    return { seconds: busy / 1000, calls: intervals.length };
}

/** The resources of the per-mailbox shape: one Mailbox per folder. */
export function mailboxSpecs(users: string[], perUser: number): ResourceSpec[] {
    const specs: ResourceSpec[] = [];
    users.forEach((user, u) => {
        for (let i = 0; i < perUser; i++) {
            specs.push({
                kind: "Mailbox",
                name: `u${u}-f${i}`,
                args: { user, name: `Bench/F${i}`, subscribed: i % 2 === 0 },
                noExport: true,
            });
        }
    });
    return specs;
}

/** The engine's floor: one no-op dynamic resource per folder, with the same inputs as a Mailbox. */
export function noopSpecs(users: string[], perUser: number): ResourceSpec[] {
    return mailboxSpecs(users, perUser).map((spec) => ({ ...spec, kind: "Noop" }));
}

/** The resources of the per-user shape: one FolderSet per user holding all of that user's folders. */
export function folderSetSpecs(users: string[], perUser: number): ResourceSpec[] {
    return users.map((user, u) => ({
        kind: "FolderSet",
        noExport: true,
        name: `u${u}-folders`,
        args: {
            user,
            folders: Array.from({ length: perUser }, (_, i) => ({
                name: `Bench/F${i}`,
                subscribed: i % 2 === 0,
            })),
        },
    }));
}

/**
 * The program of the plugin shape: the same resources.json, each resource made with the `dovecot`
 * plugin's Node.js SDK (sdk/nodejs) instead of this package's dynamic resources.
 */
const PLUGIN_PROGRAM = `"use strict";
const fs = require("fs");
const path = require("path");
const dovecot = require("@pulumi-dovecot/dovecot");
for (const spec of JSON.parse(fs.readFileSync(path.join(__dirname, "resources.json"), "utf8")))
    new dovecot[spec.kind](spec.name, spec.args);
`;

let compiledSdk: string | undefined;

/** Removes the compiled SDK, if any. */
export function removeCompiledSdk(): void {
    if (compiledSdk) removeNodeSdk(compiledSdk);
    compiledSdk = undefined;
}

/** Makes the project's program use the plugin's SDK (see PLUGIN_PROGRAM), compiled once per bench run. */
async function usePlugin(project: PulumiProject): Promise<void> {
    await installPluginSdk(project);
    writeFileSync(path.join(project.dir, "index.js"), PLUGIN_PROGRAM);
}

/** Installs the plugin's Node.js SDK (compiled once per bench run) in the project's node_modules. */
export async function installPluginSdk(project: PulumiProject): Promise<void> {
    compiledSdk ??= await compileNodeSdk();
    installNodeSdk(compiledSdk, project.dir);
}

/** What to run in one engine benchmark. */
export interface EngineRun {
    shape: string;
    /** Through the `dovecot` plugin (its Node.js SDK) instead of the dynamic resources. */
    plugin?: boolean;
    /** `--parallel` for `up` and `destroy` (absent: the CLI's default). */
    parallel?: number;
    specs: ResourceSpec[];
    /** Mailboxes the stack manages. */
    size: number;
    skipCheckpoints: boolean;
    /** The commands after `up` (which always runs first), in order: `preview`, `refresh`, `destroy`. */
    then: Array<"preview" | "refresh" | "destroy">;
}

/** Runs `up` and then the run's other commands on a new stack, and measures each. */
export async function benchmarkEngine(
    sandbox: Sandbox,
    run: EngineRun,
    countRequests: () => Promise<number>,
): Promise<{ results: EngineResult[]; state: StateSize }> {
    const project = await PulumiProject.create({
        name: "bench",
        layout: "installed",
        resources: run.specs,
        server: sandbox,
    });
    if (run.plugin) await usePlugin(project);
    const traceFile = path.join(project.root, "trace.jsonl");
    const results: EngineResult[] = [];
    let state: StateSize | undefined;
    const timeoutMs = 30 * 60_000;
    const measure = async (command: string, body: () => Promise<unknown>) => {
        const before = await countRequests();
        const started = Date.now();
        const { peakMb } = await withPeakMemory(body);
        const seconds = (Date.now() - started) / 1000;
        const busy = busySeconds(traceFile, started);
        results.push({
            shape: run.shape,
            size: run.size,
            skipCheckpoints: run.skipCheckpoints,
            command,
            seconds,
            requests: (await countRequests()) - before,
            providerBusySeconds: busy.seconds,
            providerCalls: busy.calls,
            peakProviderRssMb: peakMb,
            ...(run.parallel === undefined ? {} : { parallel: run.parallel }),
        });
    };
    const env: Record<string, string> = { PULUMI_DOVECOT_TRACE: traceFile };
    if (run.skipCheckpoints) env.PULUMI_SKIP_CHECKPOINTS = "true";
    try {
        const args = run.parallel === undefined ? [] : ["--parallel", String(run.parallel)];
        await measure("up", () => project.up({ env, timeoutMs, args }));
        const exported = await project.exportText();
        const deployment = JSON.parse(exported) as { deployment: { resources: Array<{ type: string }> } };
        const ours = deployment.deployment.resources.filter(
            (r) =>
                r.type.startsWith("pulumi-nodejs:dynamic/dovecot") ||
                r.type.startsWith("dovecot:index:") ||
                r.type.includes("bench:Noop"),
        );
        const bytes = ours.reduce((sum, r) => sum + JSON.stringify(r).length, 0);
        state = {
            shape: run.shape,
            mailboxes: run.size,
            resources: ours.length,
            totalBytes: exported.length,
            bytesPerMailbox: bytes / run.size,
        };
        for (const command of run.then) {
            if (command === "preview") await measure(command, () => project.preview({ env, timeoutMs }));
            if (command === "refresh") await measure(command, () => project.refresh({ env, timeoutMs }));
            if (command === "destroy")
                await measure(command, () => project.destroy({ env, timeoutMs, args }));
        }
    } finally {
        rmSync(project.root, { recursive: true, force: true });
    }
    if (!state) throw new Error("no state measured");
    return { results, state };
}
