// Leaves nothing running. Every process a test starts through the harness carries a mark in its
// environment (PULUMI_DOVECOT_TEST_MARK), which every process it starts in turn inherits: the pulumi
// CLI, its language host and the program, and the provider plugins, which the CLI puts in process
// groups of their own (so killing the CLI's group leaves them, and a dynamic provider never exits by
// itself once its CLI is gone). When a command ends, whatever still carries its mark is killed by PID;
// at the end of the suite (jest's globalTeardown), anything still carrying the suite's mark, and any
// sandbox Dovecot still running, fails the run. Dovecot clears its processes' environment, so sandbox
// servers are found by their config file instead (see registerSandbox).
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { waitFor } from "./waits";

/** The environment variable that marks the processes a test started. */
export const MARK = "PULUMI_DOVECOT_TEST_MARK";

/** The environment variable that names the suite (set by jest's globalSetup; else one per process). */
export const SUITE = "PULUMI_DOVECOT_SUITE";

/** The suite's id: what every mark of this run starts with. */
export function suiteId(): string {
    process.env[SUITE] ??= `solo-${randomUUID()}`;
    return process.env[SUITE];
}

let counter = 0;

/** A new mark, for one command (or one test's commands). */
export function newMark(): string {
    return `${suiteId()}:${process.pid}:${++counter}`;
}

/** One running process. */
export interface ProcessInfo {
    pid: number;
    /** Its command line, arguments joined by spaces. */
    command: string;
}

function readProc(pid: string, file: string): string | undefined {
    try {
        return readFileSync(`/proc/${pid}/${file}`, "latin1");
    } catch {
        return undefined; // gone, or not ours to read
    }
}

function pids(): string[] {
    return readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
}

/** The processes whose mark starts with `prefix` (a whole mark, or a suite id and `:`). */
export function marked(prefix: string): ProcessInfo[] {
    const needle = `${MARK}=${prefix}`;
    const found: ProcessInfo[] = [];
    for (const pid of pids()) {
        if (Number(pid) === process.pid) continue;
        const environ = readProc(pid, "environ");
        if (!environ?.split("\0").some((entry) => entry.startsWith(needle))) continue;
        found.push({
            pid: Number(pid),
            command: (readProc(pid, "cmdline") ?? "").split("\0").join(" ").trim(),
        });
    }
    return found;
}

/** Whether a process with this PID exists (and may be signalled by us). */
export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Kills `processes` (SIGKILL) and waits, at most 10 s, until they are gone. */
export async function killAll(processes: readonly ProcessInfo[]): Promise<void> {
    for (const { pid } of processes) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    await waitFor("the killed processes to go", () => !processes.some((p) => isAlive(p.pid)), {
        timeoutMs: 10_000,
        intervalMs: 20,
    }).catch(() => undefined);
}

/** Kills whatever still carries `mark`; returns what it found. */
export async function killMarked(mark: string): Promise<ProcessInfo[]> {
    const left = marked(mark);
    await killAll(left);
    return left;
}

/** The file in which this suite lists the config files of the sandbox servers it started. */
function sandboxList(): string {
    return path.join(os.tmpdir(), `pulumi-dovecot-sandboxes-${suiteId()}`);
}

/** Records a sandbox server's config file, so the end of the suite can tell whether it still runs. */
export function registerSandbox(configPath: string): void {
    appendFileSync(sandboxList(), `${configPath}\n`);
}

/** The Dovecot processes started with one of this suite's sandbox config files that still run. */
export function sandboxesLeft(): ProcessInfo[] {
    const file = sandboxList();
    if (!existsSync(file)) return [];
    const configs = new Set(readFileSync(file, "utf8").split("\n").filter(Boolean));
    const found: ProcessInfo[] = [];
    for (const pid of pids()) {
        const args = (readProc(pid, "cmdline") ?? "").split("\0");
        const at = args.indexOf("-c");
        if (at >= 0 && configs.has(args[at + 1] ?? "") && /dovecot$/.test(args[0] ?? ""))
            found.push({ pid: Number(pid), command: args.join(" ").trim() });
    }
    return found;
}
