// The user database iteration benchmark (`npm run bench:users`; part of `npm run bench` too): listUsers
// over N users (10,000 by default) in a passwd-file and in an SQLite user database, beside two
// baselines in the same run on the same server: the server's own `doveadm user '*'` (its CLI, through
// the auth process, as an administrator runs it) and one raw HTTP request of the same command whose
// answer is parsed and nothing more (the least any client can do). Time is the median of `--rounds`
// (5) runs; memory is the peak growth of this process's heap and of its RSS over the run (sampled
// every 2 ms, after a full GC when Node runs with --expose-gc). The figures go into bench/RESULTS.md,
// between the markers below, so the rest of that file (npm run bench) is kept as it is.
//   --userdb-users N (10000)   --rounds R (5)   --out FILE (bench/RESULTS.md)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { request } from "undici";
import { Connections } from "../provider/connection";
import { usersOf } from "../provider/queries";
import { Sandbox, SandboxOptions, startDovecot } from "../test/harness/dovecot";
import { REPO_ROOT } from "../test/harness/repo";

export const BEGIN = "<!-- user-database-iteration -->";
export const END = "<!-- /user-database-iteration -->";

/** One measured way of listing every user. */
export interface UsersResult {
    userdb: string;
    variant: string;
    users: number;
    medianMs: number;
    /** Peak heap growth over a run, MB (undefined for the CLI, another process). */
    heapMb?: number;
    /** Peak RSS growth over a run, MB. */
    rssMb?: number;
    /** Runs that listed fewer users than the database holds (with no error), and the fewest listed. */
    short: number;
    fewest: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Runs `work` `rounds` times; the median time, and the peak heap and RSS growth over any run. */
async function measure(
    rounds: number,
    work: () => Promise<number>,
    expected: number,
): Promise<{ medianMs: number; heapMb: number; rssMb: number; short: number; fewest: number }> {
    const times: number[] = [];
    const counts: number[] = [];
    let heapPeak = 0;
    let rssPeak = 0;
    for (let round = 0; round < rounds; round++) {
        (globalThis as { gc?: () => void }).gc?.();
        const base = process.memoryUsage();
        let heap = 0;
        let rss = 0;
        const sample = () => {
            const now = process.memoryUsage();
            heap = Math.max(heap, now.heapUsed - base.heapUsed);
            rss = Math.max(rss, now.rss - base.rss);
        };
        const timer = setInterval(sample, 2);
        const started = performance.now();
        const count = await work();
        times.push(performance.now() - started);
        sample();
        clearInterval(timer);
        counts.push(count);
        heapPeak = Math.max(heapPeak, heap);
        rssPeak = Math.max(rssPeak, rss);
    }
    return {
        medianMs: median(times),
        heapMb: heapPeak / 2 ** 20,
        rssMb: rssPeak / 2 ** 20,
        short: counts.filter((c) => c !== expected).length,
        fewest: Math.min(...counts),
    };
}

/** The three ways, against one sandbox whose user database is `userdb`. */
async function benchmarkOne(
    label: string,
    userdb: SandboxOptions["userdb"],
    count: number,
    rounds: number,
): Promise<UsersResult[]> {
    const locals = Array.from({ length: count }, (_, i) => `u${i}`);
    console.error(`users: ${count} in a ${label}: starting the sandbox`);
    const sandbox: Sandbox = await startDovecot({ users: locals, userdb });
    try {
        const results: UsersResult[] = [];
        // Baseline: the server's own CLI.
        const cliTimes: number[] = [];
        const cliCounts: number[] = [];
        for (let round = 0; round < rounds; round++) {
            const started = performance.now();
            const out = await sandbox.doveadm(["user", "*"]);
            cliTimes.push(performance.now() - started);
            cliCounts.push(out.split("\n").filter((line) => line.trim() !== "").length);
        }
        results.push({
            userdb: label,
            variant: "`doveadm user '*'` on the server (baseline)",
            users: count,
            medianMs: median(cliTimes),
            short: cliCounts.filter((c) => c !== count).length,
            fewest: Math.min(...cliCounts),
        });

        // Baseline: one raw request, its answer parsed.
        const raw = await measure(
            rounds,
            async () => {
                const answer = await request(`${sandbox.endpoint}/doveadm/v1`, {
                    method: "POST",
                    headers: {
                        "content-type": "application/json",
                        authorization: `X-Dovecot-API ${Buffer.from(sandbox.apiKey).toString("base64")}`,
                    },
                    body: JSON.stringify([["user", { userMask: ["*"] }, "t"]]),
                });
                const body = (await answer.body.json()) as Array<[string, { userList?: string[] }, string]>;
                return body[0]?.[1]?.userList?.length ?? -1;
            },
            count,
        );
        results.push({
            userdb: label,
            variant: "raw HTTP request, answer parsed (baseline)",
            users: count,
            ...raw,
        });

        // listUsers, as a program runs it (the lookup over the program's connections).
        const connections = new Connections({
            get: (key) =>
                key === "dovecot:endpoint"
                    ? sandbox.endpoint
                    : key === "dovecot:apiKey"
                      ? sandbox.apiKey
                      : undefined,
        });
        const lookup = await measure(rounds, async () => (await usersOf(connections)).length, count);
        results.push({ userdb: label, variant: "`listUsers()`", users: count, ...lookup });
        return results;
    } finally {
        await sandbox.stop();
    }
}

/** Every result: a passwd-file, then SQLite. */
export async function benchmarkUsers(count: number, rounds: number): Promise<UsersResult[]> {
    return [
        ...(await benchmarkOne("passwd-file", { driver: "passwd-file" }, count, rounds)),
        ...(await benchmarkOne("SQLite (`iterate_query`)", { driver: "sql" }, count, rounds)),
    ];
}

/** The section of bench/RESULTS.md, markers included. */
export function usersSection(started: Date, results: UsersResult[], rounds: number): string {
    const dovecot = execFileSync("dovecot", ["--version"]).toString().trim();
    const mb = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1));
    const lines = [
        BEGIN,
        "## User database iteration (`listUsers`)",
        "",
        `Run ${started.toISOString()} by \`npm run bench:users\` on ${os.cpus().length} cores, Node ${process.version}, ` +
            `Dovecot ${dovecot}. Every user listed, ${results[0]?.users ?? "?"} of them, in one request; the median of ${rounds} runs. ` +
            "Memory is this process's peak growth over a run (heap, and RSS), sampled every 2 ms: the CLI " +
            "baseline runs in another process. Compare within this table: the machine is shared. " +
            "A short list is a run that listed fewer users than the database holds, with no error.",
        "",
        "| user database | variant | users | median ms | × raw HTTP | peak heap growth MB | peak RSS growth MB | short lists (fewest) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ];
    for (const r of results) {
        const raw = results.find((x) => x.userdb === r.userdb && x.variant.startsWith("raw HTTP"));
        const ratio = raw ? (r.medianMs / raw.medianMs).toFixed(2) : "-";
        lines.push(
            `| ${r.userdb} | ${r.variant} | ${r.users} | ${r.medianMs.toFixed(0)} | ${ratio} | ${mb(r.heapMb)} | ${mb(r.rssMb)} | ${r.short === 0 ? "none" : `${r.short} of ${rounds} (${r.fewest})`} |`,
        );
    }
    lines.push("", END, "");
    return lines.join("\n");
}

/** `text` with its user database section replaced by `section` (appended when it has none). */
export function withUsersSection(text: string, section: string): string {
    const begin = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    if (begin >= 0 && end > begin)
        return text.slice(0, begin) + section.trimEnd() + text.slice(end + END.length);
    return `${text.trimEnd()}\n\n${section}`;
}

/** The section an earlier run wrote into `file`, markers included, or "". */
export function existingUsersSection(file: string): string {
    if (!existsSync(file)) return "";
    const text = readFileSync(file, "utf8");
    const begin = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    return begin >= 0 && end > begin ? `${text.slice(begin, end + END.length)}\n` : "";
}

function option(name: string, fallback: number): number {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

async function main(): Promise<void> {
    const count = option("userdb-users", 10_000);
    const rounds = option("rounds", 5);
    const outIndex = process.argv.indexOf("--out");
    const out =
        outIndex >= 0
            ? path.resolve(process.argv[outIndex + 1] as string)
            : path.join(REPO_ROOT, "bench", "RESULTS.md");
    const started = new Date();
    const results = await benchmarkUsers(count, rounds);
    const section = usersSection(started, results, rounds);
    const text = existsSync(out) ? readFileSync(out, "utf8") : "# Benchmark results\n";
    writeFileSync(out, withUsersSection(text, section));
    console.error(section);
    console.error(`wrote ${out}`);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error);
        process.exit(1);
    });
}
