// What every scratch Pulumi project of the tests shares, whatever its program: a temporary folder
// holding the project and a file backend of its own, one stack (`test`), the environment its commands
// run with, a record of every command, and the standard commands (config, up, preview, refresh, destroy,
// outputs, the exported state). The kinds (pulumi.ts: the generic Node.js program; examples.ts: a
// language example; yaml.ts: a YAML program) say how their project is laid out and what its commands'
// environment holds, and offer the commands with the signatures their tests use.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandResult, DEFAULT_COMMAND_TIMEOUT_MS, RunOptions, parseJson, runCommand } from "./pulumi-cli";

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

/** A resource in the exported state. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    [key: string]: unknown;
}

/** The server a project's stack is configured for (a sandbox will do). */
export interface StackServer {
    endpoint: string;
    apiKey: string;
}

/** A scratch Pulumi project with one stack, `test`, in a file backend of its own. */
export abstract class StackProject {
    /** The temporary folder holding the project, the backend and whatever else the project keeps. */
    readonly root: string;
    /** The project folder (Pulumi.yaml and the program). */
    readonly dir: string;
    /** The file backend folder. */
    readonly stateDir: string;
    readonly stack = "test";
    /** Every command run so far (its args led by the command), failed ones too: for messages and scans. */
    readonly history: CommandResult[] = [];

    /** Makes the temporary folder (named `<prefix>...`) with an empty project folder and backend. */
    protected constructor(prefix: string) {
        this.root = mkdtempSync(path.join(os.tmpdir(), prefix));
        this.dir = path.join(this.root, "project");
        this.stateDir = path.join(this.root, "state");
        mkdirSync(this.dir, { recursive: true });
        mkdirSync(this.stateDir, { recursive: true });
    }

    /** The environment of this project's commands (a new process mark each call, see processes.ts). */
    abstract env(extra?: Record<string, string>): NodeJS.ProcessEnv;

    /** How long one command may take unless its options say otherwise. */
    protected get commandTimeoutMs(): number {
        return DEFAULT_COMMAND_TIMEOUT_MS;
    }

    /** What the types of the resources `stateResources` lists start with ("": every resource). */
    protected get listedTypes(): string {
        return "";
    }

    /** Runs any command in the project folder with the project's environment; recorded in `history`. */
    async run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
        const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
        try {
            const result = await runCommand(command, args, this.dir, this.env(options.env), {
                ...options,
                timeoutMs,
            });
            this.history.push({ ...result, args: [command, ...args] });
            return result;
        } catch (error) {
            this.history.push({
                args: [command, ...args],
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

    /** Runs `pulumi <args>` in the project folder. */
    async pulumi(args: string[], options: RunOptions = {}): Promise<CommandResult> {
        return this.run("pulumi", args, options);
    }

    /** Runs `pulumi <command> --non-interactive --stack test <flags>`. */
    protected onStack(
        command: string[],
        flags: string[] = [],
        options: RunOptions = {},
    ): Promise<CommandResult> {
        return this.run(
            "pulumi",
            [...command, "--non-interactive", "--stack", this.stack, ...flags],
            options,
        );
    }

    /** `pulumi stack init test`, then, with `server`, its endpoint and (secret) API key as the default server. */
    protected async initStack(server?: StackServer): Promise<void> {
        await this.onStack(["stack", "init"]);
        if (server) {
            await this.setConfig("dovecot:endpoint", server.endpoint);
            await this.setConfig("dovecot:apiKey", server.apiKey, { secret: true });
        }
    }

    /**
     * `pulumi config set [--path] [--secret|--plaintext] key`, the value passed on stdin so that it is
     * not in `ps`. With `path`, `ns:a.b.c` sets a value inside the structured value `ns:a`.
     */
    async setConfig(
        key: string,
        value: string,
        options: { secret?: boolean; path?: boolean } = {},
    ): Promise<void> {
        const flags = [...(options.path ? ["--path"] : []), options.secret ? "--secret" : "--plaintext"];
        await this.onStack(["config", "set", key], flags, { input: value });
    }

    /** `pulumi up --yes`, then `flags` (`--skip-preview`, `--parallel 32`, ...). */
    protected upWith(flags: string[], options: RunOptions = {}): Promise<CommandResult> {
        return this.onStack(["up", "--yes"], flags, options);
    }

    /** `pulumi preview --json`, then `flags`, parsed. */
    protected async previewJson(flags: string[], options: RunOptions = {}): Promise<PreviewResult> {
        const result = await this.onStack(["preview", "--json"], flags, options);
        return parseJson<PreviewResult>(result.stdout, "pulumi preview --json");
    }

    /** `pulumi preview --expect-no-changes`: fails when the program and the state differ. */
    async expectNoChanges(options: RunOptions = {}): Promise<CommandResult> {
        return this.onStack(["preview", "--expect-no-changes"], [], options);
    }

    /** `pulumi refresh --preview-only --json`: what a refresh would change, parsed. */
    async previewRefresh(options: RunOptions = {}): Promise<PreviewResult> {
        const result = await this.onStack(["refresh", "--preview-only", "--json"], [], options);
        return parseJson<PreviewResult>(result.stdout, "pulumi refresh --preview-only --json");
    }

    /** `pulumi refresh --yes --skip-preview`. */
    async refresh(options: RunOptions = {}): Promise<CommandResult> {
        return this.onStack(["refresh", "--yes", "--skip-preview"], [], options);
    }

    /** `pulumi destroy --yes --skip-preview`, then `flags`. */
    protected destroyWith(flags: string[], options: RunOptions = {}): Promise<CommandResult> {
        return this.onStack(["destroy", "--yes", "--skip-preview"], flags, options);
    }

    /** `pulumi stack output --json --show-secrets`. */
    async outputs(): Promise<Record<string, unknown>> {
        const result = await this.onStack(["stack", "output", "--json", "--show-secrets"]);
        return parseJson(result.stdout, "pulumi stack output --json");
    }

    /** `pulumi stack export` as text (exactly what a state file holds). */
    async exportText(): Promise<string> {
        return (await this.onStack(["stack", "export"])).stdout;
    }

    /** The resources of the exported state whose type starts with `listedTypes`. */
    async stateResources(): Promise<StateResource[]> {
        const state = parseJson<{ deployment?: { resources?: StateResource[] } }>(
            await this.exportText(),
            "pulumi stack export",
        );
        return (state.deployment?.resources ?? []).filter((r) => r.type.startsWith(this.listedTypes));
    }

    /** A file of the project (Pulumi.test.yaml, say). */
    read(name: string): string {
        return readFileSync(path.join(this.dir, name), "utf8");
    }

    /** Removes the project, its backend and whatever else the temporary folder holds (the stack is not destroyed). */
    cleanup(): void {
        rmSync(this.root, { recursive: true, force: true });
    }

    /** The last commands' output, for a failure message. */
    transcript(last = 3): string {
        return this.history
            .slice(-last)
            .map(
                (r) => `$ ${r.args.join(" ")} (exit ${r.code}, ${r.durationMs} ms)\n${r.output.slice(-4000)}`,
            )
            .join("\n");
    }
}
