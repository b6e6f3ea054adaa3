// `npm run bench`: the client and engine benchmarks on one sandbox Dovecot, in one run, written to
// bench/RESULTS.md with every figure beside its baseline and each target's verdict.
//   --mailboxes N (1000)   --users U (50): the client benchmark
//   --sizes 300,1000       --engine-users V (50): the engine benchmark, each size with and without
//                          PULUMI_SKIP_CHECKPOINTS, beside its baselines
//   --modes on,skipped     which of the two checkpoint settings to run (both by default)
//   --shapes floor,mailbox,plugin,folderSet   which engine shapes to run (all by default)
//   --parallel-sweep 1,4,8   also one Mailbox per folder at the largest size, checkpoints skipped,
//                          with each `--parallel`
//   --skip-engine          --skip-client          --out FILE (bench/RESULTS.md)
//   --userdb-users N (10000): the user database iteration (bench/users.ts); --skip-users keeps the
//                          figures an earlier run wrote instead
//   --fleet                only the fleet benchmark (bench/fleet.ts): one FolderSet per user on both
//                          faces beside the no-op and the server's bulk time, checkpoints on; its
//                          section replaces the fleet section of the results file, the rest is kept
//   --fleet-users 200,500  stack sizes (0: none)     --fleet-folders 20   folders per user
//   --fleet-faces noop,dynamic,plugin               --fleet-single 5000  one user's folders (0: skip)
//   --fleet-renames 100    renames of that user's update
//   --fleet-shards 4       stacks at once (0: skip)  --fleet-shard-users 250   users per stack
//   --fleet-shard-faces dynamic                      --node-options "..."  NODE_OPTIONS for pulumi
//   --fleet-heap-compare   also the first size without --node-options, for comparison
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dovecotVersion, startDovecot } from "../test/harness/dovecot";
import { REPO_ROOT } from "../test/harness/repo";
import { PhaseResult, benchmarkClient, clientCreateDelete, rawCreateDelete } from "./client";
import {
    EngineResult,
    StateSize,
    benchmarkEngine,
    folderSetSpecs,
    mailboxSpecs,
    noopSpecs,
    removeCompiledSdk,
} from "./engine";
import { shellLoop } from "./shell";
import { benchmarkUsers, existingUsersSection, usersSection } from "./users";
import { Face, FleetResults, runFleet } from "./fleet";
import { fleetReport } from "./fleet-report";

function option(name: string, fallback: number): number {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function textOption(name: string): string | undefined {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? process.argv[index + 1] : undefined;
}

/** The number after `--name`, or undefined when the option is not given. */
function optionalNumber(name: string): number | undefined {
    const text = textOption(name);
    return text === undefined ? undefined : Number(text);
}

function listOption<T extends string>(name: string, fallback: T[]): T[] {
    return (textOption(name)?.split(",") as T[] | undefined) ?? fallback;
}

/** Marks around the fleet's section of the results file, which a `--fleet` run replaces alone. */
const FLEET_BEGIN = "<!-- fleet: begin -->";
const FLEET_END = "<!-- fleet: end -->";

/**
 * The results file with its fleet section replaced by `section` (put after the title when it has
 * none); what else it holds, from an earlier full run, is kept and says so.
 */
function withFleetSection(old: string, section: string): string {
    const block = `${FLEET_BEGIN}\n${section}\n${FLEET_END}`;
    const begin = old.indexOf(FLEET_BEGIN);
    const end = old.indexOf(FLEET_END);
    if (begin >= 0 && end > begin) return old.slice(0, begin) + block + old.slice(end + FLEET_END.length);
    const cut = old.indexOf("\n", old.indexOf("# Benchmark results"));
    if (!old.startsWith("# Benchmark results") || cut < 0) return `# Benchmark results\n\n${block}\n`;
    const earlier =
        "\n\n## Earlier run: the Mailbox and client scenarios\n\nThe sections below come from an earlier full `npm run bench` (without `--fleet`), as its first line says.\n";
    return `${old.slice(0, cut)}\n\n${block}${earlier}${old.slice(cut)}`;
}

const REPO = REPO_ROOT;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

function clientTable(results: PhaseResult[]): string {
    const lines = [
        "| phase | variant | ops | seconds | ops/s | p50 ms | p99 ms | requests | ops/s ÷ A | ops/s ÷ B |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ];
    for (const phase of ["create", "read", "rename", "delete"]) {
        const rows = results.filter((r) => r.phase === phase);
        const a = rows.find((r) => r.variant.startsWith("A"));
        const b = rows.find((r) => r.variant.startsWith("B"));
        for (const r of rows) {
            lines.push(
                `| ${phase} | ${r.variant} | ${r.ops} | ${f2(r.seconds)} | ${f1(r.opsPerSecond)} | ${f1(r.p50Ms)} | ${f1(r.p99Ms)} | ${r.requests} | ${a ? f2(r.opsPerSecond / a.opsPerSecond) : "-"} | ${b ? f2(r.opsPerSecond / b.opsPerSecond) : "-"} |`,
            );
        }
    }
    return lines.join("\n");
}

/** A baseline beside the engine runs: a shell loop or raw HTTP, create then delete. */
interface Baseline {
    variant: string;
    size: number;
    createSeconds: number;
    deleteSeconds: number;
    requests: number;
}

/** The baseline whose times make the limit (see `limitOf`). */
const CLIENT_BULK = "this package's client, everything at once";

const SHAPES = {
    floor: "no-op dynamic resource (floor)",
    mailbox: "one Mailbox per folder",
    plugin: "one Mailbox per folder, dovecot plugin",
    folderSet: "one FolderSet per user",
} as const;

async function main() {
    const mailboxes = option("mailboxes", 1000);
    const userCount = option("users", 50);
    const engineUsers = option("engine-users", 50);
    const sizesIndex = process.argv.indexOf("--sizes");
    const sizes =
        sizesIndex >= 0 ? (process.argv[sizesIndex + 1] as string).split(",").map(Number) : [300, 1000];
    const skipEngine = process.argv.includes("--skip-engine");
    const sweepIndex = process.argv.indexOf("--parallel-sweep");
    const sweep = sweepIndex >= 0 ? (process.argv[sweepIndex + 1] as string).split(",").map(Number) : [];
    const outIndex = process.argv.indexOf("--out");
    const out =
        outIndex >= 0
            ? path.resolve(process.argv[outIndex + 1] as string)
            : path.join(REPO, "bench", "RESULTS.md");
    const concurrency = 4;

    const fleetOnly = process.argv.includes("--fleet");
    const fleetOptions = {
        sizes: listOption("fleet-users", ["200", "500"])
            .map(Number)
            .filter((n) => n > 0),
        perUser: option("fleet-folders", 20),
        faces: listOption<Face>("fleet-faces", ["noop", "dynamic", "plugin"]),
        single: option("fleet-single", 5000),
        renames: option("fleet-renames", 100),
        shards: option("fleet-shards", 4),
        usersPerShard: option("fleet-shard-users", 250),
        shardFaces: listOption<Face>("fleet-shard-faces", ["dynamic"]),
        concurrency: 4,
        nodeOptions: textOption("node-options"),
        parallel: optionalNumber("fleet-parallel"),
        providerEnv: Object.fromEntries(
            (textOption("fleet-env")?.split(",") ?? []).map((pair) => {
                const at = pair.indexOf("=");
                if (at <= 0) throw new Error(`--fleet-env takes KEY=VALUE[,KEY=VALUE], got ${pair}`);
                return [pair.slice(0, at), pair.slice(at + 1)];
            }),
        ),
        compareHeap: process.argv.includes("--fleet-heap-compare"),
    };
    const fleetUsers = Math.max(
        ...fleetOptions.sizes,
        fleetOptions.shards * fleetOptions.usersPerShard,
        fleetOptions.shards * 3,
        1,
    );
    const locals = Array.from(
        { length: fleetOnly ? fleetUsers : Math.max(userCount, engineUsers) },
        (_, i) => `user${i}`,
    );
    const sandbox = await startDovecot({ users: locals });
    // Every request the server answers leaves one access line in its log: count those, not the client's idea.
    // The log is written a moment after the answer, so let it settle first.
    const countRequests = async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return (sandbox.log().match(/"(POST|GET) \/doveadm\/v1 HTTP/g) ?? []).length;
    };
    try {
        const started = new Date();
        if (fleetOnly) {
            const fleet = await runFleet(
                sandbox,
                sandbox.users.map((u) => u.name),
                fleetOptions,
                countRequests,
            );
            const old = existsSync(out) ? readFileSync(out, "utf8") : "";
            writeFileSync(out, withFleetSection(old, fleetSection(started, fleet, fleetOptions.perUser)));
            console.error(`wrote ${out}`);
            return;
        }
        console.error(`client benchmark: ${mailboxes} mailboxes across ${userCount} users`);
        const client = process.argv.includes("--skip-client")
            ? []
            : await benchmarkClient(sandbox, {
                  mailboxes,
                  users: sandbox.users.slice(0, userCount).map((u) => u.name),
                  concurrency,
                  countRequests,
              });
        const shapesIndex = process.argv.indexOf("--shapes");
        const shapes = shapesIndex >= 0 ? (process.argv[shapesIndex + 1] as string).split(",") : undefined;
        const engine: EngineResult[] = [];
        const states: StateSize[] = [];
        const baselines: Baseline[] = [];
        const sweepResults: EngineResult[] = [];
        const users = sandbox.users.slice(0, engineUsers).map((u) => u.name);
        if (!skipEngine) {
            for (const size of sizes) {
                const perUser = Math.ceil(size / engineUsers);
                console.error(`baselines: ${size} folders`);
                const shell = await shellLoop(sandbox, users, perUser, `Shell${size}`);
                baselines.push({
                    variant: "shell loop of `doveadm mailbox create`",
                    size,
                    ...shell,
                    requests: 0,
                });
                const before = await countRequests();
                const rawHttp = await rawCreateDelete(
                    sandbox,
                    "raw HTTP",
                    { users, perUser, prefix: `Raw${size}`, concurrency },
                    countRequests,
                );
                baselines.push({
                    variant: `raw HTTP, ${concurrency} at a time`,
                    size,
                    createSeconds: rawHttp.find((r) => r.phase === "create")?.seconds ?? NaN,
                    deleteSeconds: rawHttp.find((r) => r.phase === "delete")?.seconds ?? NaN,
                    requests: (await countRequests()) - before,
                });
                const bulkBefore = await countRequests();
                const bulk = await clientCreateDelete(
                    sandbox,
                    { users, perUser, prefix: `Bulk${size}`, concurrency },
                    countRequests,
                );
                baselines.push({
                    variant: CLIENT_BULK,
                    size,
                    createSeconds: bulk.find((r) => r.phase === "create")?.seconds ?? NaN,
                    deleteSeconds: bulk.find((r) => r.phase === "delete")?.seconds ?? NaN,
                    requests: (await countRequests()) - bulkBefore,
                });
                const modesIndex = process.argv.indexOf("--modes");
                const modes =
                    modesIndex >= 0 ? (process.argv[modesIndex + 1] as string).split(",") : ["on", "skipped"];
                for (const skipCheckpoints of [false, true].filter((skip) =>
                    modes.includes(skip ? "skipped" : "on"),
                )) {
                    const runs = [
                        { shape: SHAPES.floor, specs: noopSpecs(users, perUser), then: ["destroy"] as const },
                        {
                            shape: SHAPES.mailbox,
                            specs: mailboxSpecs(users, perUser),
                            then: ["refresh", "destroy"] as const,
                        },
                        {
                            shape: SHAPES.plugin,
                            plugin: true,
                            specs: mailboxSpecs(users, perUser),
                            then: ["refresh", "destroy"] as const,
                        },
                        {
                            shape: SHAPES.folderSet,
                            specs: folderSetSpecs(users, perUser),
                            then: ["destroy"] as const,
                        },
                    ];
                    for (const run of runs) {
                        const key = Object.entries(SHAPES).find(([, v]) => v === run.shape)?.[0];
                        if (shapes && !shapes.includes(key ?? "")) continue;
                        console.error(
                            `engine: ${run.shape}, ${size}${skipCheckpoints ? ", PULUMI_SKIP_CHECKPOINTS" : ""}`,
                        );
                        const measured = await benchmarkEngine(
                            sandbox,
                            { ...run, then: [...run.then], size, skipCheckpoints },
                            countRequests,
                        );
                        engine.push(...measured.results);
                        if (!skipCheckpoints) states.push(measured.state);
                    }
                }
            }
        }
        // The --parallel sweep: one Mailbox per folder at the largest size, checkpoints skipped.
        const biggest = Math.max(...sizes);
        for (const parallel of sweep) {
            console.error(`engine: --parallel ${parallel}, ${biggest} Mailbox, PULUMI_SKIP_CHECKPOINTS`);
            const measured = await benchmarkEngine(
                sandbox,
                {
                    shape: SHAPES.mailbox,
                    specs: mailboxSpecs(users, Math.ceil(biggest / engineUsers)),
                    size: biggest,
                    skipCheckpoints: true,
                    then: ["destroy"],
                    parallel,
                },
                countRequests,
            );
            sweepResults.push(...measured.results);
        }
        // The user database iteration, on sandboxes of its own (10,000 users each).
        const usersPart = process.argv.includes("--skip-users")
            ? existingUsersSection(out)
            : usersSection(new Date(), await benchmarkUsers(option("userdb-users", 10_000), 5), 5);
        writeFileSync(
            out,
            `${report(started, { mailboxes, userCount, engineUsers, sizes, concurrency }, client, {
                results: engine,
                states,
                baselines,
                sweep: sweepResults,
            }).trimEnd()}\n\n${usersPart}`,
        );
        console.error(`wrote ${out}`);
    } finally {
        removeCompiledSdk();
        await sandbox.stop();
    }
}

/** The fleet's section: which run it is from, then its tables. */
function fleetSection(started: Date, fleet: FleetResults, perUser: number): string {
    const dovecot =
        dovecotVersion() === "2.4"
            ? "2.4 (Debian 13's, in its root)"
            : execFileSync("dovecot", ["--version"]).toString().trim();
    return [
        `Fleet run ${started.toISOString()} by \`npm run bench -- --fleet\` on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ` +
            `Node ${process.version}, Dovecot ${dovecot}, a sandbox server with Maildir++ on local disk, load average at the start ${os.loadavg()[0]?.toFixed(1)}. ` +
            "The machines are noisy: compare ratios within this run, not absolute figures across runs.",
        "",
        ...fleetReport(fleet, perUser),
    ].join("\n");
}

interface Params {
    mailboxes: number;
    userCount: number;
    engineUsers: number;
    sizes: number[];
    concurrency: number;
}

function report(
    started: Date,
    p: Params,
    client: PhaseResult[],
    engine: { results: EngineResult[]; states: StateSize[]; baselines: Baseline[]; sweep: EngineResult[] },
): string {
    const dovecot = execFileSync("dovecot", ["--version"]).toString().trim();
    const ratio = (phase: string, base: string) => {
        const c = client.find((r) => r.phase === phase && r.variant === "client");
        const b = client.find((r) => r.phase === phase && r.variant.startsWith(base));
        return c && b ? c.opsPerSecond / b.opsPerSecond : NaN;
    };
    /**
     * The limit of a command at a size: the no-op floor's same command plus the client's own bulk time
     * for the same folders (create for `up`, delete for `destroy`); what a provider costing nothing
     * beyond the server's work would take.
     */
    const limitOf = (size: number, skip: boolean, command: string): number | undefined => {
        const floor = find(SHAPES.floor, size, skip, command);
        const bulk = engine.baselines.find((b) => b.variant === CLIENT_BULK && b.size === size);
        if (!floor || !bulk || (command !== "up" && command !== "destroy")) return undefined;
        return floor.seconds + (command === "up" ? bulk.createSeconds : bulk.deleteSeconds);
    };
    const find = (shape: string, size: number, skip: boolean, command: string) =>
        engine.results.find(
            (r) =>
                r.shape === shape && r.size === size && r.skipCheckpoints === skip && r.command === command,
        );
    const big = Math.max(...p.sizes);
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    const lines = [
        "# Benchmark results",
        "",
        `Run ${started.toISOString()} by \`npm run bench\` on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ` +
            `Node ${process.version}, Dovecot ${dovecot}, a sandbox server with Maildir++ on local disk. ` +
            "The machines are noisy: compare ratios within this run, not absolute figures across runs.",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ];
    const mUp = find(SHAPES.mailbox, big, false, "up");
    const mDestroy = find(SHAPES.mailbox, big, false, "destroy");
    const mRefresh = find(SHAPES.mailbox, big, false, "refresh");
    if (mUp && mDestroy && mRefresh) {
        const perUp = mUp.requests / big;
        const perDestroy = mDestroy.requests / big;
        const perUser = mRefresh.requests / p.engineUsers;
        lines.push(
            `| requests for \`up\` of ${big} Mailbox across ${p.engineUsers} users: ≤ 1.2 per mailbox | ${f2(perUp)} (${mUp.requests}) | ${verdict(perUp <= 1.2)} |`,
            `| requests for \`destroy\`: ≤ 1.2 per mailbox | ${f2(perDestroy)} (${mDestroy.requests}) | ${verdict(perDestroy <= 1.2)} |`,
            `| requests for \`refresh\`: ≤ 1 per user | ${f2(perUser)} (${mRefresh.requests}) | ${verdict(perUser <= 1)} |`,
        );
    }
    for (const [skip, limit] of [
        [true, 2],
        [false, 1.1],
    ] as const) {
        for (const command of ["up", "destroy"]) {
            const m = find(SHAPES.mailbox, big, skip, command);
            const floor = find(SHAPES.floor, big, skip, command);
            if (!m || !floor) continue;
            const r = m.seconds / floor.seconds;
            lines.push(
                `| \`${command}\` of ${big} Mailbox${skip ? " with PULUMI_SKIP_CHECKPOINTS" : ", checkpoints on"}: ≤ ${limit}× the no-op floor | ${f2(r)}× (${f1(m.seconds)} s vs ${f1(floor.seconds)} s) | ${verdict(r <= limit)} |`,
            );
        }
    }
    // The limit targets: checkpoints skipped (a journaling backend's engine cost), at every size.
    for (const size of p.sizes) {
        for (const command of ["up", "destroy"]) {
            const m = find(SHAPES.mailbox, size, true, command);
            const limit = limitOf(size, true, command);
            if (!m || limit === undefined) continue;
            const r = m.seconds / limit;
            lines.push(
                `| \`${command}\` of ${size} Mailbox with PULUMI_SKIP_CHECKPOINTS: ≤ 1.3× the limit (floor + the client's bulk time) | ${f2(r)}× (${f1(m.seconds)} s vs ${f1(limit)} s) | ${verdict(r <= 1.3)} |`,
            );
        }
        for (const command of ["up", "destroy"]) {
            const m = find(SHAPES.mailbox, size, true, command);
            if (!m) continue;
            const perFolder = m.requests / size;
            lines.push(
                `| requests for \`${command}\` of ${size} Mailbox with PULUMI_SKIP_CHECKPOINTS: ≤ 0.2 per mailbox | ${f2(perFolder)} (${m.requests}) | ${verdict(perFolder <= 0.2)} |`,
            );
        }
        const peakOf = (shape: string) =>
            Math.max(
                ...engine.results
                    .filter((r) => r.shape === shape && r.size === size)
                    .map((r) => r.peakProviderRssMb),
            );
        const mailboxPeak = peakOf(SHAPES.mailbox);
        const floorPeak = peakOf(SHAPES.floor);
        const pluginPeak = peakOf(SHAPES.plugin);
        if (Number.isFinite(mailboxPeak) && Number.isFinite(floorPeak))
            lines.push(
                `| provider peak RSS of ${size} Mailbox: ≤ 1.2× the no-op floor's provider | ${f2(mailboxPeak / floorPeak)}× (${f1(mailboxPeak)} MB vs ${f1(floorPeak)} MB) | ${verdict(mailboxPeak / floorPeak <= 1.2)} |`,
            );
        if (Number.isFinite(pluginPeak))
            lines.push(
                `| peak RSS of the \`dovecot\` plugin for ${size} Mailbox: ≤ 100 MB | ${f1(pluginPeak)} MB | ${verdict(pluginPeak <= 100)} |`,
            );
    }
    const mailboxRuns = engine.results.filter((r) => r.shape === SHAPES.mailbox && r.size === big);
    const floorRuns = engine.results.filter((r) => r.shape === SHAPES.floor && r.size === big);
    if (mailboxRuns.length > 0) {
        const peak = Math.max(...mailboxRuns.map((r) => r.peakProviderRssMb));
        const floorPeak = Math.max(...floorRuns.map((r) => r.peakProviderRssMb));
        lines.push(
            `| peak provider memory for ${big} Mailbox: ≤ 150 MB | ${f1(peak)} MB (the no-op floor's provider: ${f1(floorPeak)} MB) | ${verdict(peak <= 150)} |`,
        );
    }
    const createVsB = ratio("create", "B");
    lines.push(
        `| bulk create through the client ≥ 3× baseline B's throughput (earlier issue) | ${f2(createVsB)}× | ${verdict(createVsB >= 3)} |`,
    );
    const state = engine.states.find((st) => st.shape === SHAPES.mailbox && st.mailboxes === big);
    if (state) {
        lines.push(
            `| state ≤ 2 KB per mailbox, one Mailbox per folder (earlier issue) | ${f1(state.bytesPerMailbox)} bytes | ${verdict(state.bytesPerMailbox <= 2048)} |`,
        );
    }
    if (engine.results.length > 0) {
        lines.push(
            "",
            `## Engine: ${p.sizes.join(" and ")} folders across ${p.engineUsers} users (\`pulumi\` CLI, default \`--parallel\`, file backend, package installed under node_modules)`,
            "",
            "Each command beside the no-op floor's same command at the same size and checkpoint setting, and beside the limit: the floor plus the client's own bulk time for the same folders (create for `up`, delete for `destroy`; the baseline table below). Requests are counted in the server's access log. " +
                "Peak RSS is the dynamic provider process's (sampled from /proc every 50 ms). The Mailbox resources keep the default `forceDestroy: false` (their folders are empty).",
            "",
            "| size | checkpoints | shape | command | wall s | × floor | limit s | × limit | requests | per folder | provider busy s | peak provider RSS MB |",
            "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        );
        for (const r of engine.results) {
            const floor = find(SHAPES.floor, r.size, r.skipCheckpoints, r.command);
            const limit =
                r.shape === SHAPES.floor ? undefined : limitOf(r.size, r.skipCheckpoints, r.command);
            lines.push(
                `| ${r.size} | ${r.skipCheckpoints ? "skipped" : "on"} | ${r.shape} | ${r.command} | ${f1(r.seconds)} | ${floor ? f2(r.seconds / floor.seconds) : "-"} | ${limit === undefined ? "-" : f1(limit)} | ${limit === undefined ? "-" : f2(r.seconds / limit)} | ${r.requests} | ${f2(r.requests / r.size)} | ${f1(r.providerBusySeconds)} | ${f1(r.peakProviderRssMb)} |`,
            );
        }
        if (p.sizes.length > 1) {
            const small = Math.min(...p.sizes);
            lines.push(
                "",
                `How each grows from ${small} to ${big} folders (${f2(big / small)}× the folders): wall time at each size, the growth factor, and milliseconds per folder.`,
                "",
                `| checkpoints | shape | command | s at ${small} | s at ${big} | growth | ms per folder at ${small} | ms per folder at ${big} |`,
                "|---|---|---|---:|---:|---:|---:|---:|",
            );
            for (const r of engine.results.filter((x) => x.size === big)) {
                const s = find(r.shape, small, r.skipCheckpoints, r.command);
                if (!s) continue;
                lines.push(
                    `| ${r.skipCheckpoints ? "skipped" : "on"} | ${r.shape} | ${r.command} | ${f1(s.seconds)} | ${f1(r.seconds)} | ${f2(r.seconds / s.seconds)}× | ${f1((1000 * s.seconds) / small)} | ${f1((1000 * r.seconds) / big)} |`,
                );
            }
            for (const variant of [...new Set(engine.baselines.map((b) => b.variant))]) {
                const s = engine.baselines.find((b) => b.variant === variant && b.size === small);
                const l = engine.baselines.find((b) => b.variant === variant && b.size === big);
                if (!s || !l) continue;
                lines.push(
                    `| - | ${variant} | create | ${f1(s.createSeconds)} | ${f1(l.createSeconds)} | ${f2(l.createSeconds / s.createSeconds)}× | ${f1((1000 * s.createSeconds) / small)} | ${f1((1000 * l.createSeconds) / big)} |`,
                );
            }
        }
        lines.push(
            "",
            "Baselines in the same run: what an administrator would write instead (a shell loop running the `doveadm` command line once per folder, no HTTP), " +
                `and raw HTTP requests ${p.concurrency} at a time (one request per folder and operation, nothing read first). Beside them, \`up\` and \`destroy\` of one Mailbox per folder.`,
            "",
            "| size | variant | create s | delete s | requests | Mailbox up s (checkpoints on / skipped) | Mailbox destroy s (on / skipped) |",
            "|---:|---|---:|---:|---:|---:|---:|",
        );
        for (const b of engine.baselines) {
            const upOn = find(SHAPES.mailbox, b.size, false, "up");
            const upOff = find(SHAPES.mailbox, b.size, true, "up");
            const dOn = find(SHAPES.mailbox, b.size, false, "destroy");
            const dOff = find(SHAPES.mailbox, b.size, true, "destroy");
            lines.push(
                `| ${b.size} | ${b.variant} | ${f1(b.createSeconds)} | ${f1(b.deleteSeconds)} | ${b.requests} | ${upOn ? f1(upOn.seconds) : "-"} / ${upOff ? f1(upOff.seconds) : "-"} | ${dOn ? f1(dOn.seconds) : "-"} / ${dOff ? f1(dOff.seconds) : "-"} |`,
            );
        }
        lines.push(
            "",
            "State after `up` (the resources' own entries in `pulumi stack export`, divided by the folders they manage), checkpoints on:",
            "",
            "| shape | folders | resources | bytes per folder | whole export bytes |",
            "|---|---:|---:|---:|---:|",
            ...engine.states.map(
                (st) =>
                    `| ${st.shape} | ${st.mailboxes} | ${st.resources} | ${f1(st.bytesPerMailbox)} | ${st.totalBytes} |`,
            ),
        );
        if (engine.sweep.length > 0) {
            const size = engine.sweep[0]?.size ?? 0;
            lines.push(
                "",
                `\`--parallel\` sweep: ${size} Mailbox across ${p.engineUsers} users with PULUMI_SKIP_CHECKPOINTS, \`up\` then \`destroy\`, beside the limit at the CLI's default \`--parallel\` (the floor was measured at the default only):`,
                "",
                "| --parallel | up s | up × limit | up requests | destroy s | destroy × limit | destroy requests | peak provider RSS MB |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|",
            );
            for (const parallel of [...new Set(engine.sweep.map((r) => r.parallel))]) {
                const up = engine.sweep.find((r) => r.parallel === parallel && r.command === "up");
                const down = engine.sweep.find((r) => r.parallel === parallel && r.command === "destroy");
                if (!up || !down) continue;
                const upLimit = limitOf(size, true, "up");
                const downLimit = limitOf(size, true, "destroy");
                lines.push(
                    `| ${parallel} | ${f1(up.seconds)} | ${upLimit ? f2(up.seconds / upLimit) : "-"} | ${up.requests} | ${f1(down.seconds)} | ${downLimit ? f2(down.seconds / downLimit) : "-"} | ${down.requests} | ${f1(Math.max(up.peakProviderRssMb, down.peakProviderRssMb))} |`,
                );
            }
        }
        // The same Mailboxes through the `dovecot` plugin (its Node.js SDK) against the dynamic ones.
        const pluginRows: string[] = [];
        for (const r of engine.results.filter((x) => x.shape === SHAPES.plugin && x.command !== "refresh")) {
            const d = find(SHAPES.mailbox, r.size, r.skipCheckpoints, r.command);
            if (!d) continue;
            pluginRows.push(
                `| ${r.size} | ${r.skipCheckpoints ? "skipped" : "on"} | ${r.command} | ${f1(d.seconds)} | ${f1(r.seconds)} | ${f2(r.seconds / d.seconds)} | ${f1(d.peakProviderRssMb)} | ${f1(r.peakProviderRssMb)} | ${f2(r.peakProviderRssMb / d.peakProviderRssMb)} |`,
            );
        }
        if (pluginRows.length > 0) {
            lines.push(
                "",
                "The same Mailboxes through the `dovecot` provider plugin (the program uses its Node.js SDK; the plugin is this package's `pulumi-resource-dovecot`, run by Node.js) against the dynamic resources, in the same run:",
                "",
                "| size | checkpoints | command | dynamic s | plugin s | plugin ÷ dynamic | dynamic provider peak RSS MB | plugin peak RSS MB | plugin ÷ dynamic |",
                "|---:|---|---|---:|---:|---:|---:|---:|---:|",
                ...pluginRows,
            );
            for (const st of engine.states.filter((x) => x.shape === SHAPES.plugin)) {
                const d = engine.states.find(
                    (x) => x.shape === SHAPES.mailbox && x.mailboxes === st.mailboxes,
                );
                if (d)
                    lines.push(
                        "",
                        `State per folder at ${st.mailboxes}: ${f1(d.bytesPerMailbox)} bytes dynamic, ${f1(st.bytesPerMailbox)} bytes plugin (${f2(st.bytesPerMailbox / d.bytesPerMailbox)}×).`,
                    );
            }
        }
    }
    lines.push(
        "",
        `## Client: ${p.mailboxes} mailboxes across ${p.userCount} users`,
        "",
        `Baseline A sends one raw HTTP request per operation, one at a time; baseline B the same requests ${p.concurrency} at a time ` +
            `(the client's default \`maxConcurrency\`); the client gets every operation of a phase at once and queues them per user. ` +
            "A user's queued creates cost two requests: a look at the user's mailboxes (shared for a few seconds by the creates and deletes that follow), and one request holding a create per name and a status of the new names; deletes likewise; status reads merge into one array-form command; renames go one at a time. " +
            "Requests are counted from the server's access log. Latency is per operation, from call to completion, queueing included, " +
            "so the client's p50 is high while its throughput is higher.",
        "",
        clientTable(client),
        "",
    );
    return lines.join("\n");
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
