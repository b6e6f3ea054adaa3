// Fleet benchmark: one FolderSet per user, as the README advises for fleets, through the real CLI
// with checkpoints on (the file backend), on both faces (the dynamic `FolderSet` and the plugin's
// `dovecot:index:FolderSet` through its Node.js SDK), beside two baselines measured in the same run:
// - the engine's own cost for that state: a no-op dynamic resource per user carrying the same folder
//   list (its create and update return their inputs);
// - the server's own bulk time for the same folders: per user one request (create and subscribe, or
//   delete and unsubscribe), 4 users at a time, straight to Dovecot; for creates both with one command
//   per user (an array-form create) and with the two commands per folder of the safe create (a create
//   under a temporary name with the GUID, then a rename into place).
// Also one user's 5,000-folder set (`up`, a 100-rename update, `destroy`) against the server's bulk
// time for the same folders, and several stacks (shards) run at once by the Automation API against
// one server, beside one stack of the same users, with a check that no stack's state or errors leak
// into another's.
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { request } from "undici";
import { STATUS_FIELDS } from "../provider/client/commands";
import { Sandbox } from "../test/harness/dovecot";
import { PulumiProject } from "../test/harness/pulumi";
import { installPluginSdk, withPeakMemory } from "./engine";

/** How a stack declares its users' folders. */
export type Face = "noop" | "dynamic" | "plugin";

export const FACES: Record<Face, string> = {
    noop: "no-op dynamic resource per user (engine floor)",
    dynamic: "dynamic FolderSet per user",
    plugin: "plugin dovecot:index:FolderSet per user",
};

/** One measured command of one face at one size. */
export interface FleetResult {
    face: Face;
    /** Users in the stack (1 for the single-user scenario). */
    users: number;
    /** Folders in the stack. */
    folders: number;
    /** `up`, `drift` (preview --refresh --expect-no-changes), `add-one`, `renames`, `destroy`. */
    command: string;
    seconds: number;
    requests: number;
    peakRssMb: number;
    /** Set on the runs made without the NODE_OPTIONS under test, for comparison. */
    defaultHeap?: boolean;
}

/** The server's own bulk time for a set of folders. */
export interface BulkResult {
    users: number;
    folders: number;
    /** `create` (one array-form create per request), `create-2` (temporary name + rename), `rename`, `delete`. */
    operation: string;
    /** The folders it acted on (for renames, the renamed ones). */
    count: number;
    seconds: number;
    requests: number;
}

/** One shard run: several stacks at once, or one stack of all their users. */
export interface ShardResult {
    face: Face;
    stacks: number;
    usersPerStack: number;
    command: "up" | "destroy";
    /** Wall time from the first stack's start to the last one's end. */
    seconds: number;
    /** Each stack's own wall time. */
    stackSeconds: number[];
    requests: number;
    peakRssMb: number;
}

/** What the isolation check of the shards found. */
export interface IsolationResult {
    stacks: number;
    /** One line per check, each saying what it found. */
    findings: string[];
    ok: boolean;
}

/** Everything a fleet run measured. */
export interface FleetResults {
    results: FleetResult[];
    bulk: BulkResult[];
    shards: ShardResult[];
    isolation?: IsolationResult;
    /** NODE_OPTIONS the pulumi commands ran with, if any. */
    nodeOptions?: string;
    /** `--parallel` of the pulumi commands, if not the CLI's default. */
    parallel?: number;
    /** More environment of the pulumi commands, if any. */
    providerEnv?: Record<string, string>;
}

/** What to run. */
export interface FleetOptions {
    /** Stack sizes in users (each user gets `perUser` folders). */
    sizes: number[];
    perUser: number;
    faces: Face[];
    /** Folders of the single-user scenario (0: skip it). */
    single: number;
    /** Renames of the single-user scenario's update. */
    renames: number;
    /** Stacks run at once (0: skip the shards). */
    shards: number;
    usersPerShard: number;
    /** Faces of the shard runs. */
    shardFaces: Face[];
    /** Users joined into requests at once by the bulk baselines. */
    concurrency: number;
    /** NODE_OPTIONS for every pulumi command (the heap settings under test). */
    nodeOptions?: string;
    /** `--parallel` of every pulumi command (the CLI's default when undefined). */
    parallel?: number;
    /** More environment for every pulumi command (provider settings such as DOVEADM_MAX_CONCURRENCY). */
    providerEnv?: Record<string, string>;
    /** Also run the dynamic and plugin faces at the first size without `nodeOptions`, for comparison. */
    compareHeap?: boolean;
}

/**
 * The program of every fleet stack: resources.json lists `{ kind, name, args }`. `Noop` is a dynamic
 * resource whose create and update return their inputs (the engine's floor for the same state);
 * `FolderSet` is this package's dynamic resource, `PluginFolderSet` the plugin's through its SDK.
 */
const FLEET_PROGRAM = `"use strict";
const fs = require("fs");
const path = require("path");
const pulumi = require("@pulumi/pulumi");
const specs = JSON.parse(fs.readFileSync(path.join(__dirname, "resources.json"), "utf8"));
const noopProvider = {
    async create(inputs) {
        return { id: inputs.user, outs: inputs };
    },
    async update(id, olds, news) {
        return { outs: news };
    },
};
class Noop extends pulumi.dynamic.Resource {
    constructor(name, args) {
        super(noopProvider, name, args, {}, "bench", "Noop");
    }
}
let dynamic, plugin;
for (const spec of specs) {
    if (spec.kind === "Noop") new Noop(spec.name, spec.args);
    else if (spec.kind === "FolderSet") new (dynamic ??= require("pulumi-dovecot")).FolderSet(spec.name, spec.args);
    else new (plugin ??= require("@pulumi-dovecot/dovecot")).FolderSet(spec.name, spec.args);
}
`;

const KIND: Record<Face, string> = { noop: "Noop", dynamic: "FolderSet", plugin: "PluginFolderSet" };

/** A user's declared folders: `count` of them, every other one subscribed, the first `renamed` renamed. */
function folderList(count: number, renamed = 0): Array<Record<string, unknown>> {
    return Array.from({ length: count }, (_, i) =>
        i < renamed
            ? { name: `Bench/R${i}`, subscribed: i % 2 === 0, renamedFrom: `Bench/F${i}` }
            : { name: `Bench/F${i}`, subscribed: i % 2 === 0 },
    );
}

function specsOf(face: Face, users: string[], count: number, renamed = 0) {
    return users.map((user, u) => ({
        kind: KIND[face],
        name: `u${u}`,
        args: { user, folders: folderList(count, renamed) },
    }));
}

/** A scratch project whose program is FLEET_PROGRAM, with the plugin's SDK when the face needs it. */
async function fleetProject(sandbox: Sandbox, face: Face, name: string): Promise<PulumiProject> {
    const project = await PulumiProject.create({ name, layout: "installed", server: sandbox });
    if (face === "plugin") await installPluginSdk(project);
    writeFileSync(path.join(project.dir, "index.js"), FLEET_PROGRAM);
    return project;
}

// ---- The server's bulk time: raw requests, straight to Dovecot. ----

/** One request of several commands; fails loudly on any error answer. */
async function rawMany(sandbox: Sandbox, commands: Array<[string, Record<string, unknown>]>): Promise<void> {
    const response = await request(`${sandbox.endpoint}/doveadm/v1`, {
        method: "POST",
        headers: {
            authorization: `X-Dovecot-API ${Buffer.from(sandbox.apiKey).toString("base64")}`,
            "content-type": "application/json",
        },
        body: JSON.stringify(commands.map(([command, params], i) => [command, params, `b${i}`])),
        headersTimeout: 600_000,
        bodyTimeout: 600_000,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || text.includes('"error"')) {
        throw new Error(`bulk baseline failed: ${response.statusCode} ${text.slice(0, 300)}`);
    }
}

/** Runs `tasks` with at most `limit` at once. */
async function pool(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

function chunks<T>(items: T[], size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}

/**
 * Per user, requests of at most `chunk` folders (one request for a fleet's 20), users `concurrency` at a
 * time; each user's requests one after another, as the server locks the user anyway.
 */
async function perUser(
    users: string[],
    names: string[],
    chunk: number,
    concurrency: number,
    commands: (user: string, names: string[]) => Array<[string, Record<string, unknown>]>,
    sandbox: Sandbox,
): Promise<{ seconds: number; requests: number }> {
    const started = performance.now();
    let requests = 0;
    await pool(
        users.map((user) => async () => {
            for (const part of chunks(names, chunk)) {
                requests++;
                await rawMany(sandbox, commands(user, part));
            }
        }),
        concurrency,
    );
    return { seconds: (performance.now() - started) / 1000, requests };
}

/** The safe create of one folder, as the provider sends it: under a temporary name with the GUID, then renamed. */
function safeCreate(user: string, name: string, parent: string): Array<[string, Record<string, unknown>]> {
    const guid = randomBytes(16).toString("hex");
    const temporary = `${parent}/pulumi-dovecot-${guid}`;
    return [
        ["mailboxCreate", { user, mailbox: [temporary], guid }],
        ["mailboxRename", { user, mailbox: temporary, newName: name }],
    ];
}

const subscribedOf = (names: string[]) => names.filter((name) => Number(/\d+$/.exec(name)?.[0]) % 2 === 0);

/** Bulk create (both protocols), then bulk delete, of `count` folders per user; renames too if asked. */
async function bulkBaselines(
    sandbox: Sandbox,
    users: string[],
    count: number,
    options: { concurrency: number; renames?: number; chunk?: number },
): Promise<BulkResult[]> {
    const results: BulkResult[] = [];
    const chunk = options.chunk ?? 100;
    const folders = users.length * count;
    const names = (prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}/F${i}`);
    const push = (operation: string, measured: { seconds: number; requests: number }, count = folders) =>
        results.push({ users: users.length, folders, operation, count, ...measured });
    const remove = (user: string, part: string[]): Array<[string, Record<string, unknown>]> => [
        ["mailboxDelete", { user, mailbox: part, requireEmpty: true }],
        ["mailboxUnsubscribe", { user, mailbox: subscribedOf(part) }],
    ];
    // One array-form create per request, with the subscriptions.
    const one = names("Bulk1");
    push(
        "create",
        await perUser(
            users,
            one,
            chunk * 2,
            options.concurrency,
            (user, part) => [
                ["mailboxCreate", { user, mailbox: part }],
                ["mailboxSubscribe", { user, mailbox: subscribedOf(part) }],
            ],
            sandbox,
        ),
    );
    if (users.length > 1) {
        // A fleet's: what a drift check and adding one folder cannot do with less. Per user, the look
        // the provider sends (every folder's status and the subscriptions, one request); for the added
        // folder, the look, then the safe create of one folder (a temporary name with the GUID, the
        // rename, the subscription) in one request.
        const look = (user: string): Array<[string, Record<string, unknown>]> => [
            ["mailboxStatus", { user, field: [...STATUS_FIELDS], mailboxMask: ["INBOX"] }],
            ["mailboxStatus", { user, field: [...STATUS_FIELDS], mailboxMask: ["*"] }],
            ["mailboxList", { user, subscriptions: true }],
        ];
        push("look", await perUser(users, ["look"], 1, options.concurrency, look, sandbox), users.length);
        const extra = ["Bulk1/Extra0"];
        push(
            "add-one",
            await perUser(
                users,
                ["look", ...extra],
                1,
                options.concurrency,
                (user, [name = "look"]) => {
                    if (name === "look") return look(user);
                    return [
                        ...safeCreate(user, name, "Bulk1"),
                        ["mailboxSubscribe", { user, mailbox: subscribedOf(extra) }],
                    ];
                },
                sandbox,
            ),
            users.length,
        );
        await perUser(users, extra, 1, options.concurrency, remove, sandbox);
    }
    if (options.renames) {
        const pairs = one.slice(0, options.renames);
        push(
            "rename",
            await perUser(
                users,
                pairs,
                chunk,
                options.concurrency,
                (user, part) =>
                    part.map((name): [string, Record<string, unknown>] => [
                        "mailboxRename",
                        { user, mailbox: name, newName: name.replace("/F", "/R") },
                    ]),
                sandbox,
            ),
            pairs.length * users.length,
        );
        await perUser(
            users,
            pairs,
            chunk,
            options.concurrency,
            (user, part) =>
                part.map((name): [string, Record<string, unknown>] => [
                    "mailboxRename",
                    { user, mailbox: name.replace("/F", "/R"), newName: name },
                ]),
            sandbox,
        );
    }
    push("delete", await perUser(users, one, chunk * 2, options.concurrency, remove, sandbox));
    // The safe create: per folder a create under a temporary name with the GUID, then a rename into place.
    const two = names("Bulk2");
    push(
        "create-2",
        await perUser(
            users,
            two,
            chunk,
            options.concurrency,
            (user, part) => [
                ...part.flatMap((name) => safeCreate(user, name, "Bulk2")),
                ["mailboxSubscribe", { user, mailbox: subscribedOf(part) }],
            ],
            sandbox,
        ),
    );
    push("delete-2", await perUser(users, two, chunk * 2, options.concurrency, remove, sandbox));
    return results;
}

// ---- The engine runs. ----

/** Runs `body` and measures it: wall time, requests the server logged, the provider's peak RSS. */
async function measured(
    countRequests: () => Promise<number>,
    body: () => Promise<unknown>,
): Promise<{ seconds: number; requests: number; peakRssMb: number }> {
    const before = await countRequests();
    const started = performance.now();
    const { peakMb } = await withPeakMemory(body);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, requests: (await countRequests()) - before, peakRssMb: peakMb };
}

/**
 * One face at one size: `up`, the drift check, an update that adds one folder to every user, and
 * `destroy`; or for the single user (`renames` > 0), `up`, an update that renames `renames` folders,
 * and `destroy`.
 */
async function engineRun(
    sandbox: Sandbox,
    face: Face,
    users: string[],
    count: number,
    options: { renames: number; env: Record<string, string>; parallel?: number; defaultHeap?: boolean },
    countRequests: () => Promise<number>,
): Promise<FleetResult[]> {
    const project = await fleetProject(sandbox, face, "fleet");
    const results: FleetResult[] = [];
    const timeoutMs = 60 * 60_000;
    const run = async (command: string, body: () => Promise<unknown>) => {
        const heap = options.defaultHeap ? " (default heap)" : "";
        console.error(`  ${FACES[face]}, ${users.length} × ${count}${heap}: ${command}`);
        const m = await measured(countRequests, body);
        results.push({
            face,
            users: users.length,
            folders: users.length * count,
            command,
            ...m,
            ...(options.defaultHeap ? { defaultHeap: true } : {}),
        });
    };
    const { env } = options;
    const args = options.parallel === undefined ? [] : ["--parallel", String(options.parallel)];
    try {
        project.setResources(specsOf(face, users, count));
        await run("up", () => project.up({ env, timeoutMs, args }));
        if (options.renames > 0) {
            project.setResources(specsOf(face, users, count, options.renames));
            await run("renames", () => project.up({ env, timeoutMs, args }));
        } else {
            const drift = ["preview", "--refresh", "--expect-no-changes", "--non-interactive", ...args];
            await run("drift", () =>
                project.pulumi([...drift, "--stack", project.stack], { env, timeoutMs }),
            );
            project.setResources(specsOf(face, users, count + 1));
            await run("add-one", () => project.up({ env, timeoutMs, args }));
        }
        await run("destroy", () => project.destroy({ env, timeoutMs, args }));
    } finally {
        rmSync(project.root, { recursive: true, force: true });
    }
    return results;
}

// ---- Shards: several stacks at once through the Automation API. ----

/** The Automation API's handle on a project's stack, with the project's environment. */
async function automationStack(project: PulumiProject, env: Record<string, string>) {
    const envVars = Object.fromEntries(
        Object.entries(project.env(env)).filter((e): e is [string, string] => e[1] !== undefined),
    );
    // The Automation API finds the CLI on this process's PATH.
    process.env.PATH = envVars.PATH;
    process.env.PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK = "true";
    return LocalWorkspace.selectStack({ stackName: project.stack, workDir: project.dir }, { envVars });
}

async function shardRun(
    sandbox: Sandbox,
    face: Face,
    shards: string[][],
    perUser: number,
    env: Record<string, string>,
    countRequests: () => Promise<number>,
): Promise<ShardResult[]> {
    const projects = await Promise.all(shards.map(() => fleetProject(sandbox, face, "shard")));
    const results: ShardResult[] = [];
    try {
        const stacks = await Promise.all(projects.map((p) => automationStack(p, env)));
        projects.forEach((p, i) => p.setResources(specsOf(face, shards[i] as string[], perUser)));
        for (const command of ["up", "destroy"] as const) {
            console.error(
                `  ${FACES[face]}, ${shards.length} stacks of ${shards[0]?.length} users: ${command}`,
            );
            const stackSeconds: number[] = [];
            const m = await measured(countRequests, () =>
                Promise.all(
                    stacks.map(async (stack, i) => {
                        const started = performance.now();
                        await (command === "up" ? stack.up() : stack.destroy());
                        stackSeconds[i] = (performance.now() - started) / 1000;
                    }),
                ),
            );
            results.push({
                face,
                stacks: shards.length,
                usersPerStack: shards[0]?.length ?? 0,
                command,
                seconds: m.seconds,
                stackSeconds,
                requests: m.requests,
                peakRssMb: m.peakRssMb,
            });
        }
    } finally {
        for (const p of projects) rmSync(p.root, { recursive: true, force: true });
    }
    return results;
}

/**
 * Several stacks at once, one of which declares a folder the server refuses (Maildir++ takes no `.`
 * in a name) for one of its users: that stack alone fails, naming that user and folder, and records
 * its other folders; every other stack succeeds and holds exactly its own users.
 */
async function isolationCheck(sandbox: Sandbox, shards: string[][], env: Record<string, string>) {
    const findings: string[] = [];
    let ok = true;
    const check = (pass: boolean, text: string) => {
        ok &&= pass;
        findings.push(`${pass ? "ok" : "FAILED"}: ${text}`);
    };
    const projects = await Promise.all(shards.map(() => fleetProject(sandbox, "dynamic", "isolation")));
    const bad = { stack: 1, user: shards[1]?.[0] as string, folder: "Bench/Bad.x" };
    try {
        const stacks = await Promise.all(projects.map((p) => automationStack(p, env)));
        projects.forEach((p, i) => {
            const specs = specsOf("dynamic", shards[i] as string[], 3);
            if (i === bad.stack) (specs[0]?.args.folders as unknown[]).push({ name: bad.folder });
            p.setResources(specs);
        });
        const outcomes = await Promise.allSettled(stacks.map((s) => s.up()));
        for (const [i, outcome] of outcomes.entries()) {
            const users = shards[i] as string[];
            const exported = JSON.parse(await projects[i]!.exportText()) as {
                deployment: {
                    resources?: Array<{ type: string; outputs?: { user?: string; mailboxes?: unknown[] } }>;
                };
            };
            const sets = (exported.deployment.resources ?? []).filter((r) => r.type.includes("FolderSet"));
            const recorded = sets.map((r) => r.outputs?.user).sort();
            check(
                JSON.stringify(recorded) === JSON.stringify([...users].sort()),
                `stack ${i} records exactly its own ${users.length} users (${recorded.length} recorded)`,
            );
            if (i === bad.stack) {
                const message = outcome.status === "rejected" ? String(outcome.reason) : "";
                check(outcome.status === "rejected", `stack ${i} (the one with ${bad.folder}) fails`);
                check(
                    message.includes(bad.user) && message.includes("Bad.x"),
                    `its error names ${bad.user} and ${bad.folder}`,
                );
                const others = [...shards.flat()].filter((u) => !users.includes(u));
                check(
                    !others.some((u) => new RegExp(`${u.replace(/[.]/g, "\\.")}\\b`).test(message)),
                    "its error names no user of another stack",
                );
                const own = sets.find((r) => r.outputs?.user === bad.user);
                check(
                    (own?.outputs?.mailboxes?.length ?? 0) === 3,
                    `its state records the 3 folders of ${bad.user} that were made (${own?.outputs?.mailboxes?.length ?? 0})`,
                );
            } else check(outcome.status === "fulfilled", `stack ${i} succeeds`);
        }
        projects.forEach((p, i) => p.setResources(specsOf("dynamic", shards[i] as string[], 3)));
        await Promise.all(stacks.map((s) => s.destroy()));
        for (const user of shards.flat()) {
            const left = (await sandbox.listMailboxes(user)).filter((n) => n.startsWith("Bench/"));
            if (left.length > 0) check(false, `${user} keeps ${left.join(", ")} after destroy`);
        }
        check(true, "every stack's destroy leaves no folder behind");
    } finally {
        for (const p of projects) rmSync(p.root, { recursive: true, force: true });
    }
    return { stacks: shards.length, findings, ok };
}

/** Runs the fleet benchmark as `options` says. */
export async function runFleet(
    sandbox: Sandbox,
    users: string[],
    options: FleetOptions,
    countRequests: () => Promise<number>,
): Promise<FleetResults> {
    const env: Record<string, string> = {
        ...options.providerEnv,
        ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
    };
    const out: FleetResults = {
        results: [],
        bulk: [],
        shards: [],
        nodeOptions: options.nodeOptions,
        parallel: options.parallel,
        providerEnv: options.providerEnv,
    };
    for (const size of options.sizes) {
        const fleet = users.slice(0, size);
        console.error(`fleet: ${size} users × ${options.perUser} folders: the server's bulk time`);
        out.bulk.push(...(await bulkBaselines(sandbox, fleet, options.perUser, options)));
        for (const face of options.faces) {
            out.results.push(
                ...(await engineRun(
                    sandbox,
                    face,
                    fleet,
                    options.perUser,
                    { renames: 0, env, parallel: options.parallel },
                    countRequests,
                )),
            );
        }
    }
    if (options.compareHeap && options.nodeOptions && options.sizes.length > 0) {
        const fleet = users.slice(0, options.sizes[0]);
        for (const face of options.faces.filter((f) => f !== "noop")) {
            out.results.push(
                ...(await engineRun(
                    sandbox,
                    face,
                    fleet,
                    options.perUser,
                    {
                        renames: 0,
                        env: { ...options.providerEnv },
                        parallel: options.parallel,
                        defaultHeap: true,
                    },
                    countRequests,
                )),
            );
        }
    }
    if (options.single > 0) {
        const one = users.slice(0, 1);
        console.error(`fleet: one user's ${options.single} folders: the server's bulk time`);
        out.bulk.push(
            ...(await bulkBaselines(sandbox, one, options.single, { ...options, renames: options.renames })),
        );
        for (const face of options.faces) {
            out.results.push(
                ...(await engineRun(
                    sandbox,
                    face,
                    one,
                    options.single,
                    { renames: options.renames, env, parallel: options.parallel },
                    countRequests,
                )),
            );
        }
    }
    if (options.shards > 0) {
        const shards = Array.from({ length: options.shards }, (_, s) =>
            users.slice(s * options.usersPerShard, (s + 1) * options.usersPerShard),
        );
        for (const face of options.shardFaces) {
            console.error(`fleet: ${options.shards} stacks at once, and one stack of all their users`);
            out.shards.push(
                ...(await shardRun(sandbox, face, [shards.flat()], options.perUser, env, countRequests)),
            );
            out.shards.push(...(await shardRun(sandbox, face, shards, options.perUser, env, countRequests)));
        }
        const small = Array.from({ length: options.shards }, (_, s) => users.slice(s * 3, s * 3 + 3));
        console.error("fleet: isolation of stacks run at once");
        out.isolation = await isolationCheck(sandbox, small, env);
    }
    return out;
}
