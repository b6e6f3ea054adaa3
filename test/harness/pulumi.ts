// Drives the real `pulumi` CLI for the lifecycle tests: a scratch project laid out the way a user's
// install looks (the SDK and this package under node_modules), a file backend in a temporary folder,
// offline settings, and every command bounded by a timeout that kills its whole process group.
import { execFileSync, spawn } from "node:child_process";
import { REPO_ROOT } from "./repo";
import {
    copyFileSync,
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    readdirSync,
    renameSync,
    rmSync,
    statSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MARK, killMarked, newMark } from "./processes";

export { REPO_ROOT };

/** The compiled library (run `npm run build` first). */
export const DIST_PROVIDER = path.join(REPO_ROOT, "dist", "provider");

/** The default timeout of one pulumi command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

/** The passphrase that encrypts the scratch stacks' secrets. */
export const PASSPHRASE = "pulumi-dovecot-lifecycle";

let binDir: string | undefined;

/**
 * The folder with `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`, built once
 * per machine by scripts/install-pulumi.sh (instant when cached), as scripts/pulumi-env.sh does.
 */
export function pulumiBinDir(): string {
    if (binDir) return binDir;
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-pulumi.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 40 * 60_000,
    });
    const dir = out.trim().split("\n").pop()?.trim() ?? "";
    if (!dir || !existsSync(path.join(dir, "pulumi")))
        throw new Error(`scripts/install-pulumi.sh printed no usable folder: ${JSON.stringify(out)}`);
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

/** The counts by operation that preview and update summaries report (`same`, `create`, ...). */
export type ChangeSummary = Record<string, number>;

/** One step of a `pulumi preview --json`. */
export interface PreviewStep {
    op: string;
    urn: string;
    diffReasons?: string[];
    replaceReasons?: string[];
    [key: string]: unknown;
}

/** `pulumi preview --json`. */
export interface PreviewResult {
    steps: PreviewStep[];
    changeSummary: ChangeSummary;
    diagnostics?: { message?: string; severity?: string; urn?: string }[];
}

/** The operations in a summary that change something (all but `same`). */
export function changesOf(summary: ChangeSummary | undefined): ChangeSummary {
    const changes: ChangeSummary = {};
    for (const [op, count] of Object.entries(summary ?? {}))
        if (op !== "same" && count > 0) changes[op] = count;
    return changes;
}

/** A resource in the exported state. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    [key: string]: unknown;
}

/** How the program gets the library. */
export type Layout =
    /** A real copy of the package in the project's node_modules (how a user's install looks). */
    | "installed"
    /**
     * No package in node_modules: the program requires a copy of dist/provider (in the project's lib/
     * folder, so that it finds @pulumi/pulumi) by absolute path, as the repo's own demo does.
     */
    | "path";

/** One resource of the generic test program. */
export interface ResourceSpec {
    /**
     * A resource of this package; `Noop`, a dynamic resource whose create returns its inputs (the
     * engine's floor); or `Lookup`, args `{ fn, args }`: the output of the lookup `<fn>Output(args)`.
     */
    kind:
        | "Mailbox"
        | "Subscription"
        | "Reload"
        | "FolderSet"
        | "SieveScript"
        | "MailboxAcl"
        | "MailboxMetadata"
        | "Lookup"
        | "Noop";
    /** The Pulumi resource name. */
    name: string;
    args: Record<string, unknown>;
    /** Leave it out of the stack's outputs (the benchmark: a real program does not export a thousand resources). */
    noExport?: boolean;
    /** Names of resources declared before this one that it depends on (`dependsOn`). */
    dependsOn?: string[];
}

/** Options for a scratch project. */
export interface ProjectOptions {
    /** The Pulumi project name. */
    name?: string;
    layout?: Layout;
    /** The initial resources of the generic program. */
    resources?: ResourceSpec[];
    /** The sandbox (or any server) to configure as dovecot:endpoint and dovecot:apiKey. */
    server?: { endpoint: string; apiKey: string };
    /** Install this released package tarball instead of the current build. */
    tarball?: string;
}

/**
 * The generic program: it declares the resources listed in resources.json beside it, so a test
 * changes the desired state by rewriting that file, and exports each resource's outputs.
 */
function programText(libraryRef: string): string {
    return `// Generated by test/harness/pulumi.ts
"use strict";
const fs = require("fs");
const path = require("path");
const dovecot = require(${JSON.stringify(libraryRef)});

const specs = JSON.parse(fs.readFileSync(path.join(__dirname, "resources.json"), "utf8"));
// The engine's floor: a dynamic resource whose create returns its inputs and that does nothing else.
const noopProvider = {
    async create(inputs) {
        return { id: inputs.user + "/" + inputs.name, outs: inputs };
    },
};
class Noop extends require("@pulumi/pulumi").dynamic.Resource {
    constructor(name, args, opts) {
        super(noopProvider, name, args, opts || {}, "bench", "Noop");
    }
}
const declared = {};
for (const spec of specs) {
    // A lookup: the value of dovecot[<fn>Output](args), exported under the spec's name.
    if (spec.kind === "Lookup") {
        exports[spec.name] = dovecot[spec.args.fn + "Output"](spec.args.args);
        continue;
    }
    const Kind = spec.kind === "Noop" ? Noop : dovecot[spec.kind];
    const opts = spec.dependsOn ? { dependsOn: spec.dependsOn.map((name) => declared[name]) } : undefined;
    const resource = new Kind(spec.name, spec.args, opts);
    declared[spec.name] = resource;
    if (!spec.noExport) exports[spec.name] = resource;
}
`;
}

/** A scratch Pulumi project with one stack, `test`, in a file backend of its own. */
export class PulumiProject {
    /** The temporary folder holding the project and the backend. */
    readonly root: string;
    /** The project folder (Pulumi.yaml, index.js, node_modules). */
    readonly dir: string;
    /** The file backend folder. */
    readonly stateDir: string;
    /** The library's folder as the program loads it. */
    readonly packageDir: string;
    readonly layout: Layout;
    readonly stack = "test";
    /** Every command run so far, for failure messages. */
    readonly history: CommandResult[] = [];

    private constructor(root: string, layout: Layout) {
        this.root = root;
        this.layout = layout;
        this.dir = path.join(root, "project");
        this.stateDir = path.join(root, "state");
        this.packageDir =
            layout === "installed"
                ? path.join(this.dir, "node_modules", "pulumi-dovecot")
                : path.join(this.dir, "lib", "pulumi-dovecot");
    }

    /** Makes the project, initializes the stack and sets the server's settings. */
    static async create(options: ProjectOptions = {}): Promise<PulumiProject> {
        if (!existsSync(path.join(DIST_PROVIDER, "index.js")))
            throw new Error(`${DIST_PROVIDER} is missing: run \`npm run build\` first`);
        const layout = options.layout ?? "installed";
        const root = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-lifecycle-"));
        const project = new PulumiProject(root, layout);
        mkdirSync(project.dir, { recursive: true });
        mkdirSync(project.stateDir, { recursive: true });
        linkNodeModules(path.join(project.dir, "node_modules"));
        project.installPackage(options.tarball);
        const name = options.name ?? "lifecycle";
        writeFileSync(
            path.join(project.dir, "Pulumi.yaml"),
            `name: ${name}\nruntime: nodejs\ndescription: pulumi-dovecot lifecycle test\n`,
        );
        writeFileSync(
            path.join(project.dir, "package.json"),
            JSON.stringify({ name, version: "0.0.0", private: true, main: "index.js" }, null, 2),
        );
        const libraryRef =
            layout === "installed" ? "pulumi-dovecot" : path.join(project.packageDir, "dist", "provider");
        writeFileSync(path.join(project.dir, "index.js"), programText(libraryRef));
        project.setResources(options.resources ?? []);
        await project.pulumi(["stack", "init", project.stack, "--non-interactive"]);
        if (options.server) {
            await project.setConfig("dovecot:endpoint", options.server.endpoint);
            await project.setConfig("dovecot:apiKey", options.server.apiKey, { secret: true });
        }
        return project;
    }

    /**
     * Copies the built library (package.json and dist/provider) into place, replacing any copy; or,
     * with `tarball`, unpacks a released package (an `npm pack` tarball) there instead.
     */
    installPackage(tarball?: string): void {
        rmSync(this.packageDir, { recursive: true, force: true });
        mkdirSync(this.packageDir, { recursive: true });
        if (tarball) {
            execFileSync("tar", ["-xzf", tarball, "-C", this.packageDir, "--strip-components=1"], {
                timeout: 60_000,
            });
            return;
        }
        copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(this.packageDir, "package.json"));
        cpSync(DIST_PROVIDER, path.join(this.packageDir, "dist", "provider"), { recursive: true });
    }

    /** Rewrites the program's resource list. */
    setResources(resources: ResourceSpec[]): void {
        writeFileSync(path.join(this.dir, "resources.json"), JSON.stringify(resources, null, 2));
    }

    /** The environment of this project's commands. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return pulumiEnv(this.stateDir, extra);
    }

    /** Runs `pulumi <args>` in the project folder. */
    async pulumi(args: string[], options: RunOptions = {}): Promise<CommandResult> {
        try {
            const result = await runCommand("pulumi", args, this.dir, this.env(options.env), options);
            this.history.push(result);
            return result;
        } catch (error) {
            this.history.push({
                args,
                code: null,
                stdout: "",
                stderr: String(error),
                output: String(error),
                durationMs: 0,
                timedOut: false,
            });
            throw error;
        }
    }

    /** `pulumi config set [--path] [--secret] key value`, the value passed on stdin so it is not in `ps`. */
    async setConfig(
        key: string,
        value: string,
        options: { secret?: boolean; path?: boolean } = {},
    ): Promise<void> {
        const args = ["config", "set", key, "--stack", this.stack, "--non-interactive"];
        // With --path, `ns:a.b.c` sets a value inside the structured value `ns:a`.
        if (options.path) args.push("--path");
        if (options.secret) args.push("--secret");
        else args.push("--plaintext");
        await this.pulumi(args, { input: value });
    }

    /** `pulumi up --yes --skip-preview`, then `args` (`--parallel 32`, ...). */
    async up(options: RunOptions & { refresh?: boolean; args?: string[] } = {}): Promise<CommandResult> {
        const args = ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack];
        if (options.refresh) args.push("--refresh");
        return this.pulumi([...args, ...(options.args ?? [])], options);
    }

    /**
     * Starts `pulumi up` and kills it (the CLI, the language host and the provider, with SIGKILL) as
     * soon as `event` settles (a request the fault proxy has seen, say), as a crash or a cancelled
     * pipeline would. Resolves true if it was killed, false if it ended (or timed out) first.
     */
    async upKilledAt(
        event: Promise<unknown>,
        options: { env?: Record<string, string>; timeoutMs?: number } = {},
    ): Promise<boolean> {
        const args = ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack];
        const env = this.env(options.env);
        const child = spawn("pulumi", args, { cwd: this.dir, env, detached: true, stdio: "ignore" });
        const ended = new Promise<"ended">((resolve) => child.on("close", () => resolve("ended")));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), options.timeoutMs ?? 120_000);
        });
        const first = await Promise.race([
            event.then(
                () => "event" as const,
                () => "event" as const,
            ),
            ended,
            timedOut,
        ]);
        clearTimeout(timer);
        try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
            // it ended already
        }
        await ended;
        // The language host and the provider, in process groups of their own, as a crash leaves them.
        await killMarked(env[MARK] as string);
        return first === "event";
    }

    /**
     * Forgets every resource of this package in the state (`stack export`, drop them, `stack import`),
     * leaving the server as it is: a state lost or never written.
     */
    async forgetResources(): Promise<void> {
        const state = parseJson<{ deployment: { resources?: StateResource[] } }>(
            await this.exportText(),
            "pulumi stack export",
        );
        state.deployment.resources = (state.deployment.resources ?? []).filter(
            (r) => !r.type.startsWith("pulumi-nodejs:dynamic/dovecot:"),
        );
        const file = path.join(this.root, "forgotten.json");
        writeFileSync(file, JSON.stringify(state));
        await this.pulumi(["stack", "import", "--file", file, "--stack", this.stack]);
    }

    /** `pulumi preview --json`, parsed; pass `refresh` to preview with a refresh first. */
    async preview(options: RunOptions & { refresh?: boolean } = {}): Promise<PreviewResult> {
        const args = ["preview", "--json", "--non-interactive", "--stack", this.stack];
        if (options.refresh) args.push("--refresh");
        const result = await this.pulumi(args, options);
        return parseJson<PreviewResult>(result.stdout, "pulumi preview --json");
    }

    /** `pulumi refresh --preview-only --json`: what a refresh would change, parsed. */
    async previewRefresh(options: RunOptions = {}): Promise<PreviewResult> {
        const args = ["refresh", "--preview-only", "--json", "--non-interactive", "--stack", this.stack];
        const result = await this.pulumi(args, options);
        return parseJson<PreviewResult>(result.stdout, "pulumi refresh --preview-only --json");
    }

    /** `pulumi refresh --yes --skip-preview`. */
    async refresh(options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(
            ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack],
            options,
        );
    }

    /** `pulumi destroy --yes --skip-preview`, then `args`. */
    async destroy(options: RunOptions & { args?: string[] } = {}): Promise<CommandResult> {
        return this.pulumi(
            [
                "destroy",
                "--yes",
                "--skip-preview",
                "--non-interactive",
                "--stack",
                this.stack,
                ...(options.args ?? []),
            ],
            options,
        );
    }

    /** `pulumi stack output --json --show-secrets`. */
    async outputs(): Promise<Record<string, Record<string, unknown>>> {
        const result = await this.pulumi([
            "stack",
            "output",
            "--json",
            "--show-secrets",
            "--stack",
            this.stack,
        ]);
        return parseJson(result.stdout, "pulumi stack output --json");
    }

    /** `pulumi stack export` as text (exactly what a state file holds). */
    async exportText(): Promise<string> {
        return (await this.pulumi(["stack", "export", "--stack", this.stack])).stdout;
    }

    /** The resources of the exported state, without the stack and provider resources. */
    async stateResources(): Promise<StateResource[]> {
        const state = parseJson<{ deployment?: { resources?: StateResource[] } }>(
            await this.exportText(),
            "pulumi stack export",
        );
        return (state.deployment?.resources ?? []).filter((r) =>
            r.type.startsWith("pulumi-nodejs:dynamic/dovecot:"),
        );
    }

    /** The state resource with this Pulumi resource name. */
    async stateResource(name: string): Promise<StateResource | undefined> {
        return (await this.stateResources()).find((r) => r.urn.endsWith(`::${name}`));
    }

    /** Removes the project and its backend (the stack is not destroyed). */
    cleanup(): void {
        rmSync(this.root, { recursive: true, force: true });
    }

    /** The last commands' output, for a failure message. */
    transcript(last = 3): string {
        return this.history
            .slice(-last)
            .map(
                (r) =>
                    `$ pulumi ${r.args.join(" ")} (exit ${r.code}, ${r.durationMs} ms)\n${r.output.slice(-4000)}`,
            )
            .join("\n");
    }
}

/**
 * Fills a project's node_modules from the repo's: a real copy of @pulumi/pulumi and links to every
 * other package. The SDK must be a real folder inside the project: its closure serializer resolves
 * the packages it captures (`pulumi-dovecot/...`) from its own location, so a linked SDK, whose real
 * path is the repo's node_modules, cannot see the project's copy of this package and writes a
 * subpath the package's "exports" refuses.
 */
export function linkNodeModules(modules: string): void {
    const source = path.join(REPO_ROOT, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(source)) {
        if (entry.startsWith(".") || entry === "@pulumi" || entry === "pulumi-dovecot") continue;
        symlinkSync(path.join(source, entry), path.join(modules, entry), "dir");
    }
    mkdirSync(path.join(modules, "@pulumi"), { recursive: true });
    cpSync(path.join(source, "@pulumi", "pulumi"), path.join(modules, "@pulumi", "pulumi"), {
        recursive: true,
        verbatimSymlinks: true,
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

/** Reads a file of the project (for example Pulumi.test.yaml). */
export function readProjectFile(project: PulumiProject, name: string): string {
    return readFileSync(path.join(project.dir, name), "utf8");
}

/** The steps of a preview that change something, as `op name` (for readable failures). */
export function changedSteps(preview: PreviewResult): string[] {
    return (preview.steps ?? [])
        .filter(
            (step) => !["same", "read", "refresh"].includes(step.op) || (step.diffReasons ?? []).length > 0,
        )
        .map((step) => `${step.op} ${step.urn.split("::").pop() ?? step.urn}`);
}

/** Every file below `dir` (a backend folder, say), for scanning them all. */
export function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
        const full = path.join(dir, entry);
        return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

/** Counts the non-overlapping occurrences of `needle` in `text`. */
export function occurrences(text: string, needle: string): number {
    return needle === "" ? 0 : text.split(needle).length - 1;
}
