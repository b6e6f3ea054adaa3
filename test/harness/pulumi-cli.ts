// The real `pulumi` CLI for tests: where it and the language hosts are (built once per machine by the
// install scripts), the environment every command gets (offline, a file backend, nothing from the
// caller's shell), and one way to run a command: in its own process group, bounded by a timeout that
// kills the group, and followed by killing whatever it left running under its mark.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, renameSync } from "node:fs";
import * as path from "node:path";
import { MARK, killMarked, newMark } from "./processes";
import { REPO_ROOT } from "./repo";

/** The default timeout of one pulumi command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

/** The passphrase that encrypts the scratch stacks' secrets. */
export const PASSPHRASE = "pulumi-dovecot-lifecycle";

/**
 * Runs an install script of scripts/ (instant when what it builds is cached) and answers the folder it
 * prints last, which must hold `expected`.
 */
function installedFolder(script: string, expected: string, timeoutMs: number): string {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", script)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeoutMs,
    });
    const dir = out.trim().split("\n").pop()?.trim() ?? "";
    if (!dir || !existsSync(path.join(dir, expected)))
        throw new Error(`scripts/${script} printed no usable folder: ${JSON.stringify(out)}`);
    return dir;
}

let binDir: string | undefined;

/**
 * The folder with `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`, built once
 * per machine by scripts/install-pulumi.sh (instant when cached), as scripts/pulumi-env.sh does.
 */
export function pulumiBinDir(): string {
    if (binDir) return binDir;
    const dir = installedFolder("install-pulumi.sh", "pulumi", 40 * 60_000);
    // The dynamic provider plugin, beside the CLI so that Pulumi finds it without a warning. Two test
    // workers may get here at once, so copy to a private name and rename into place.
    const shim = path.join(dir, "pulumi-resource-pulumi-nodejs");
    const source = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");
    if (!existsSync(shim)) {
        const temp = `${shim}.${process.pid}`;
        copyFileSync(source, temp);
        execFileSync("chmod", ["+x", temp]);
        renameSync(temp, shim);
    }
    binDir = dir;
    return dir;
}

/** PATH without the folders that hold a pulumi-resource-dovecot (node_modules/.bin, say). */
export function pathWithoutPlugin(value: string | undefined): string[] {
    return (value ?? "")
        .split(path.delimiter)
        .filter((dir) => dir !== "" && !existsSync(path.join(dir, "pulumi-resource-dovecot")));
}

/**
 * The environment every pulumi command runs with. Each call carries a new mark (see processes.ts), so
 * what the command leaves running can be found and stopped when it ends.
 */
export function pulumiEnv(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Settings must come from the stack configuration under test, never from the caller's shell.
    for (const key of Object.keys(env))
        if (key.startsWith("DOVEADM_") || key.startsWith("PULUMI_")) delete env[key];
    delete env.NODE_OPTIONS;
    return {
        ...env,
        PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), pulumiBinDir(), process.env.PATH ?? ""].join(
            path.delimiter,
        ),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_HOME: path.join(REPO_ROOT, ".cache", "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        [MARK]: newMark(),
        ...extra,
    };
}

/** The result of one pulumi command. */
export interface CommandResult {
    args: string[];
    code: number | null;
    stdout: string;
    stderr: string;
    /** stdout and stderr together, for messages. */
    output: string;
    durationMs: number;
    timedOut: boolean;
}

/** Options of one pulumi command. */
export interface RunOptions {
    /** Kill the command (and its children) after this long. */
    timeoutMs?: number;
    /** Resolve with the result even when the command fails. */
    allowFailure?: boolean;
    /** Text for stdin. */
    input?: string;
    /** More environment variables. */
    env?: Record<string, string>;
}

/**
 * Runs a command in `cwd`; kills its process group when `timeoutMs` passes. When it ends, whatever it
 * left running under its environment's mark (provider plugins, which Pulumi starts in process groups of
 * their own) is killed.
 */
export function runCommand(
    command: string,
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    options: RunOptions = {},
): Promise<CommandResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        const killGroup = (signal: NodeJS.Signals) => {
            try {
                if (child.pid !== undefined) process.kill(-child.pid, signal);
            } catch {
                // already gone
            }
        };
        const timer = setTimeout(() => {
            timedOut = true;
            killGroup("SIGTERM");
            setTimeout(() => killGroup("SIGKILL"), 3_000).unref();
        }, timeoutMs);
        child.on("error", (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.on("close", (code) => void closed(code));
        const closed = async (code: number | null) => {
            clearTimeout(timer);
            // Leftover children die with the command: its own group, then anything else it started.
            killGroup("SIGKILL");
            const mark = env[MARK];
            if (mark !== undefined) await killMarked(mark);
            const result: CommandResult = {
                args,
                code,
                stdout,
                stderr,
                output: `${stdout}\n${stderr}`,
                durationMs: Date.now() - started,
                timedOut,
            };
            if ((code !== 0 || timedOut) && !options.allowFailure) {
                const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited ${code}`;
                reject(
                    new Error(
                        `${command} ${args.join(" ")} ${why}\n--- stdout ---\n${stdout.slice(-6000)}\n--- stderr ---\n${stderr.slice(-6000)}`,
                    ),
                );
            } else resolve(result);
        };
        // A command that exits without reading its input (say `go mod edit`) closes the pipe first:
        // the write then fails with EPIPE, which is no failure of the command.
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
    });
}

/** Parses a command's JSON output, with the text in the error when it is not JSON. */
export function parseJson<T>(text: string, what: string): T {
    try {
        return JSON.parse(text) as T;
    } catch {
        throw new Error(`${what} did not print JSON:\n${text.slice(0, 4000)}`);
    }
}

let langhostsBin: string | undefined;

/**
 * The folder with pulumi-language-python, -yaml and -go, built once per machine by
 * scripts/install-langhosts.sh (instant when cached); its sibling `venv` is a Python virtualenv with
 * the Pulumi Python SDK that this host runs.
 */
export function langhostsBinDir(): string {
    langhostsBin ??= installedFolder("install-langhosts.sh", "pulumi-language-yaml", 30 * 60_000);
    return langhostsBin;
}
