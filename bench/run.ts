// `npm run bench`: the client and engine benchmarks on one sandbox Dovecot, in one run, written to
// bench/RESULTS.md with every figure beside its baseline and each target's verdict.
//   --mailboxes N (1000)   --users U (50)   --engine-mailboxes M (500)   --engine-users V (50)
//   --refresh-mailboxes R (1000): the refresh target's stack, one Mailbox per folder
//   --skip-engine          --out FILE (bench/RESULTS.md)
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startDovecot } from "../test/harness/dovecot";
import { REPO_ROOT } from "../test/harness/repo";
import { PhaseResult, benchmarkClient } from "./client";
import { EngineResult, StateSize, benchmarkEngine, folderSetSpecs, mailboxSpecs } from "./engine";

function option(name: string, fallback: number): number {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
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

function engineTable(results: EngineResult[]): string {
    const lines = [
        "| shape | command | wall s | requests | provider busy s | provider share | provider calls | peak provider RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ];
    for (const r of results) {
        lines.push(
            `| ${r.shape} | ${r.command} | ${f1(r.seconds)} | ${r.requests} | ${f1(r.providerBusySeconds)} | ${((100 * r.providerBusySeconds) / r.seconds).toFixed(0)}% | ${r.providerCalls} | ${f1(r.peakProviderRssMb)} |`,
        );
    }
    return lines.join("\n");
}

async function main() {
    const mailboxes = option("mailboxes", 1000);
    const userCount = option("users", 50);
    const engineMailboxes = option("engine-mailboxes", 500);
    const engineUsers = option("engine-users", 50);
    const refreshMailboxes = option("refresh-mailboxes", 1000);
    const skipEngine = process.argv.includes("--skip-engine");
    const outIndex = process.argv.indexOf("--out");
    const out =
        outIndex >= 0
            ? path.resolve(process.argv[outIndex + 1] as string)
            : path.join(REPO, "bench", "RESULTS.md");
    const concurrency = 4;

    const locals = Array.from({ length: Math.max(userCount, engineUsers) }, (_, i) => `user${i}`);
    const sandbox = await startDovecot({ users: locals });
    // Every request the server answers leaves one access line in its log: count those, not the client's idea.
    // The log is written a moment after the answer, so let it settle first.
    const countRequests = async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return (sandbox.log().match(/"(POST|GET) \/doveadm\/v1 HTTP/g) ?? []).length;
    };
    try {
        const started = new Date();
        console.error(`client benchmark: ${mailboxes} mailboxes across ${userCount} users`);
        const client = await benchmarkClient(sandbox, {
            mailboxes,
            users: sandbox.users.slice(0, userCount).map((u) => u.name),
            concurrency,
            countRequests,
        });
        let engine: { results: EngineResult[]; states: StateSize[] } | undefined;
        if (!skipEngine) {
            const users = sandbox.users.slice(0, engineUsers).map((u) => u.name);
            const perUser = Math.ceil(engineMailboxes / engineUsers);
            engine = { results: [], states: [] };
            for (const [shape, specs] of [
                ["one Mailbox per folder", mailboxSpecs(users, perUser)],
                ["one FolderSet per user", folderSetSpecs(users, perUser)],
                [
                    `one Mailbox per folder, ${refreshMailboxes}`,
                    mailboxSpecs(users, Math.ceil(refreshMailboxes / engineUsers)),
                ],
            ] as const) {
                const count = shape.endsWith(`, ${refreshMailboxes}`) ? refreshMailboxes : engineMailboxes;
                console.error(`engine benchmark (${shape}): ${count} mailboxes across ${engineUsers} users`);
                const measured = await benchmarkEngine(sandbox, shape, [...specs], count, countRequests);
                engine.results.push(...measured.results);
                engine.states.push(measured.state);
            }
        }
        writeFileSync(
            out,
            report(
                started,
                { mailboxes, userCount, engineMailboxes, engineUsers, refreshMailboxes, concurrency },
                client,
                engine,
            ),
        );
        console.error(`wrote ${out}`);
    } finally {
        await sandbox.stop();
    }
}

/** Requests per mailbox of the engine's commands, with what each one is made of. */
function explainRequests(
    results: EngineResult[],
    p: { engineMailboxes: number; engineUsers: number },
): string[] {
    const find = (shape: string, command: string) =>
        results.find((r) => r.shape === shape && r.command === command);
    const up = find("one Mailbox per folder", "up");
    const destroy = find("one Mailbox per folder", "destroy");
    const setUp = find("one FolderSet per user", "up");
    if (!up || !destroy || !setUp) return [];
    return [
        `Where the requests go. \`up\` of one Mailbox per folder sent ${f2(up.requests / p.engineMailboxes)} requests per mailbox: ` +
            "each create looks first (`mailboxStatus`), creates without a GUID (`mailboxCreate`: a create carrying a GUID " +
            "rewrites another writer's mailbox on Dovecot 2.3), reads the new mailbox back for the GUID the server gave it " +
            "(`mailboxStatus`) and sets its subscription (`mailboxSubscribe` or `mailboxUnsubscribe`). Creates, reads and " +
            "subscriptions of one user merge only when the engine's calls overlap, which at `--parallel` 8, with calls " +
            "arriving tens of milliseconds apart, is seldom. " +
            `\`destroy\` sent ${f2(destroy.requests / p.engineMailboxes)} per mailbox (find it by name, delete it, unsubscribe the subscribed half). ` +
            `One FolderSet per user sent ${f2(setUp.requests / p.engineUsers)} requests per user for \`up\` ` +
            "(two snapshots around the change, one status and one create for all the user's folders, one subscribe), " +
            "and `refresh` costs one request per user in both shapes.",
    ];
}

function report(
    started: Date,
    p: {
        mailboxes: number;
        userCount: number;
        engineMailboxes: number;
        engineUsers: number;
        refreshMailboxes: number;
        concurrency: number;
    },
    client: PhaseResult[],
    engine?: { results: EngineResult[]; states: StateSize[] },
): string {
    const dovecot = execFileSync("dovecot", ["--version"]).toString().trim();
    const ratio = (phase: string, base: string) => {
        const c = client.find((r) => r.phase === phase && r.variant === "client");
        const b = client.find((r) => r.phase === phase && r.variant.startsWith(base));
        return c && b ? c.opsPerSecond / b.opsPerSecond : NaN;
    };
    const createVsB = ratio("create", "B");
    const perMailbox = (r: EngineResult) => r.shape === "one Mailbox per folder";
    const refresh = engine?.results.find(
        (r) => r.command === "refresh" && r.shape.endsWith(`, ${p.refreshMailboxes}`),
    );
    const up = engine?.results.find((r) => r.command === "up" && perMailbox(r));
    const state = engine?.states[0];
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
        `| bulk create through the client ≥ 3× baseline B's throughput | ${f2(createVsB)}× | ${verdict(createVsB >= 3)} |`,
        engine && refresh
            ? `| \`refresh\` of ${p.refreshMailboxes} mailboxes across ${p.engineUsers} users: ≤ 60 requests | ${refresh.requests} requests | ${verdict(refresh.requests <= 60)} |`
            : "| refresh requests | not run | - |",
        state
            ? `| state ≤ 2 KB per mailbox (one Mailbox per folder) | ${f1(state.bytesPerMailbox)} bytes | ${verdict(state.bytesPerMailbox <= 2048)} |`
            : "| state per mailbox | not run | - |",
        engine && up
            ? `| \`pulumi up\` of ${p.engineMailboxes} mailboxes: provider's share of wall time | ${((100 * up.providerBusySeconds) / up.seconds).toFixed(0)}% of ${f1(up.seconds)} s | reported |`
            : "| up share | not run | - |",
        "",
        `## Client: ${p.mailboxes} mailboxes across ${p.userCount} users`,
        "",
        `Baseline A sends one raw HTTP request per operation, one at a time; baseline B the same requests ${p.concurrency} at a time ` +
            `(the client's default \`maxConcurrency\`); the client gets every operation of a phase at once and queues them per user, ` +
            "merging the queued creates, status reads and deletes of its other mailboxes into one array-form command (renames have no array form and go one at a time); a batch of creates costs three requests: a look, the create, and a read-back for the GUIDs the server gave the new mailboxes. " +
            "Requests are counted from the server's access log. Latency is per operation, from call to completion, queueing included, " +
            "so the client's p50 is high while its throughput is higher.",
        "",
        clientTable(client),
        "",
    ];
    if (engine) {
        lines.push(
            `## Engine: ${p.engineMailboxes} mailboxes across ${p.engineUsers} users in two shapes, and ${p.refreshMailboxes} for the refresh target (\`pulumi\` CLI, default \`--parallel\` 8, file backend, package installed under node_modules)`,
            "",
            engineTable(engine.results),
            "",
            "State after `up` (the resources' own entries in `pulumi stack export`, divided by the mailboxes they manage):",
            "",
            "| shape | resources | bytes per mailbox | whole export bytes |",
            "|---|---:|---:|---:|",
            ...engine.states.map(
                (st) => `| ${st.shape} | ${st.resources} | ${f1(st.bytesPerMailbox)} | ${st.totalBytes} |`,
            ),
            "",
            "Provider share: the time during which at least one provider call (check, diff, create, read, update, delete) was running, " +
                "over the command's wall time. The rest is the CLI and engine: starting the language host and Node, running the program, " +
                "registering resources over gRPC, starting the provider process, and writing the state file after each step.",
            "",
            ...explainRequests(engine.results, p),
            "",
        );
    }
    return lines.join("\n");
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
