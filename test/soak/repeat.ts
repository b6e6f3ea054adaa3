// Runs chosen test files N times in a row, on each Dovecot version asked for, and reports the passes
// and failures by file: the way to catch a test that fails one run in N before it reaches CI. Each
// round is one jest run of all the files (two workers, as `npm test`), so the files load the machine
// as they do in CI; `--busy` adds a second jest run of other files, looping beside them, for a loaded
// machine. A report (Markdown) goes to stdout and to .cache/repeat/<time>-<pid>.md (rewritten after
// every round, so a repeat stopped early keeps its tally); the exit code is 1 when
// any run of any file failed.
//
//   npm run repeat -- [--times N] [--versions 2.3,2.4] [--busy <file>[,<file>...]] <file> [<file> ...]
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/repo";

interface Options {
    times: number;
    versions: string[];
    busy: string[];
    files: string[];
}

function parse(argv: string[]): Options {
    const options: Options = {
        times: 10,
        versions: [process.env.DOVECOT_VERSION || "2.3"],
        busy: [],
        files: [],
    };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] as string;
        const value = () => {
            const next = argv[++i];
            if (next === undefined) throw new Error(`${arg} needs a value`);
            return next;
        };
        if (arg === "--times") options.times = Number(value());
        else if (arg === "--versions") options.versions = value().split(",");
        else if (arg === "--busy") options.busy = value().split(",");
        else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
        else options.files.push(arg);
    }
    if (!Number.isInteger(options.times) || options.times < 1 || options.times > 1000)
        throw new Error("--times must be a whole number from 1 to 1000");
    if (options.versions.some((v) => v !== "2.3" && v !== "2.4"))
        throw new Error("--versions takes 2.3, 2.4 or both, comma-separated");
    if (options.files.length === 0) throw new Error("name at least one test file");
    return options;
}

interface FileResult {
    file: string;
    passed: boolean;
    failures: string[];
}

const jestBin = path.join(REPO_ROOT, "node_modules", "jest", "bin", "jest.js");

/** One jest run of `files` on `version`; resolves with each file's result (a run that crashed fails them all). */
function runJest(files: string[], version: string, limitMs: number): Promise<FileResult[]> {
    const output = path.join(os.tmpdir(), `pulumi-dovecot-repeat-${process.pid}-${Date.now()}.json`);
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [jestBin, "--json", `--outputFile=${output}`, ...files], {
            cwd: REPO_ROOT,
            env: { ...process.env, DOVECOT_VERSION: version },
            stdio: ["ignore", "ignore", "pipe"],
            detached: true,
        });
        let stderr = "";
        child.stderr.on(
            "data",
            (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-20_000)),
        );
        const timer = setTimeout(() => {
            try {
                if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            } catch {
                // gone
            }
        }, limitMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            let report: { testResults?: Array<{ name: string; status: string; message: string }> } = {};
            try {
                report = JSON.parse(readFileSync(output, "utf8"));
            } catch {
                // no report: the run crashed or timed out
            }
            rmSync(output, { force: true });
            const results = files.map((file) => {
                const entry = report.testResults?.find((r) => r.name === path.resolve(REPO_ROOT, file));
                if (entry)
                    return {
                        file,
                        passed: entry.status === "passed",
                        failures: entry.message ? [entry.message] : [],
                    };
                return {
                    file,
                    passed: false,
                    failures: [`no result (jest exited ${code}): ${stderr.slice(-2000)}`],
                };
            });
            // A failing globalTeardown (a process left running) fails the round without failing a file.
            if (code !== 0 && results.every((r) => r.passed))
                for (const r of results) {
                    r.passed = false;
                    r.failures.push(`jest exited ${code}: ${stderr.slice(-2000)}`);
                }
            resolve(results);
        });
    });
}

async function main(): Promise<void> {
    const options = parse(process.argv.slice(2));
    const tally = new Map<string, { passed: number; failed: number; failures: string[] }>();
    const started = Date.now();
    const reportPath = path.join(
        REPO_ROOT,
        ".cache",
        "repeat",
        `${new Date(started).toISOString().replace(/[:.]/g, "-")}-${process.pid}.md`,
    );
    mkdirSync(path.dirname(reportPath), { recursive: true });
    // Written after every round, so that a long repeat that is stopped early still says what it saw.
    const writeReport = (rounds: string): string => {
        const lines = [
            `# Repeated test runs`,
            "",
            `${new Date().toISOString()}, ${rounds}, ${Math.round((Date.now() - started) / 1000)} s${options.busy.length > 0 ? `, beside a looping jest run of ${options.busy.join(", ")}` : ""}.`,
            "",
            "| file | Dovecot | passed | failed |",
            "|---|---|---:|---:|",
            ...[...tally].map(([key, t]) => {
                const [file, version] = key.split("\t");
                return `| ${file} | ${version} | ${t.passed} | ${t.failed} |`;
            }),
            "",
            ...[...tally].flatMap(([key, t]) =>
                t.failures.length === 0
                    ? []
                    : [`## ${key.replace("\t", " on ")}`, "", "```", ...t.failures, "```", ""],
            ),
        ];
        const report = lines.join("\n");
        writeFileSync(reportPath, report);
        return report;
    };
    let stopBusy = false;
    const busy =
        options.busy.length > 0
            ? (async () => {
                  let rounds = 0;
                  while (!stopBusy && rounds++ < 10_000)
                      await runJest(options.busy, options.versions[0] as string, 60 * 60_000);
              })()
            : Promise.resolve();
    for (const version of options.versions) {
        for (let round = 1; round <= options.times; round++) {
            const results = await runJest(options.files, version, 60 * 60_000);
            for (const result of results) {
                const key = `${result.file}\t${version}`;
                const entry = tally.get(key) ?? { passed: 0, failed: 0, failures: [] };
                if (result.passed) entry.passed++;
                else {
                    entry.failed++;
                    entry.failures.push(`round ${round}: ${result.failures.join("\n").slice(0, 3000)}`);
                }
                tally.set(key, entry);
            }
            writeReport(
                `${version} round ${round} of ${options.times} done (stopped early if this is the last report)`,
            );
            const failed = results.filter((r) => !r.passed).map((r) => r.file);
            console.error(
                `repeat: ${version} round ${round}/${options.times}: ${failed.length === 0 ? "all passed" : `FAILED ${failed.join(", ")}`}`,
            );
        }
    }
    stopBusy = true;
    await busy;
    console.log(writeReport(`${options.times} round(s) per version`));
    process.exitCode = [...tally.values()].some((t) => t.failed > 0) ? 1 : 0;
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
});
