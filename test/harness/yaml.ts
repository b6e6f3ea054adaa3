// A scratch Pulumi YAML project that uses the `dovecot` provider plugin (node_modules/.bin after
// `npm run build`), with a file backend of its own: for tests whose subject needs the plugin's provider
// instances (explicit providers, imports) rather than a whole language example.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dump } from "js-yaml";
import { langhostsBinDir } from "./examples";
import { CommandResult, RunOptions, StateResource, parseJson, pulumiEnv, runCommand } from "./pulumi";

/** A YAML program: its resources (and variables), as Pulumi YAML takes them. */
export interface YamlProgram {
    resources?: Record<string, unknown>;
    variables?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

/** A YAML project with one stack, `test`. */
export class YamlProject {
    readonly root: string;
    readonly dir: string;
    readonly stateDir: string;
    readonly stack = "test";
    readonly history: CommandResult[] = [];

    private constructor(
        root: string,
        private readonly name: string,
    ) {
        this.root = root;
        this.dir = path.join(root, "project");
        this.stateDir = path.join(root, "state");
    }

    /** Makes the project and its stack; with `server`, sets it as the default server. */
    static async create(options: {
        name: string;
        server?: { endpoint: string; apiKey: string };
        program?: YamlProgram;
    }): Promise<YamlProject> {
        const root = mkdtempSync(path.join(os.tmpdir(), `pulumi-dovecot-${options.name}-`));
        const project = new YamlProject(root, options.name);
        mkdirSync(project.dir, { recursive: true });
        mkdirSync(project.stateDir, { recursive: true });
        project.setProgram(options.program ?? {});
        await project.pulumi(["stack", "init"]);
        if (options.server) {
            await project.setConfig("dovecot:endpoint", options.server.endpoint);
            await project.setConfig("dovecot:apiKey", options.server.apiKey, { secret: true });
        }
        return project;
    }

    /** Rewrites Pulumi.yaml with `program`. */
    setProgram(program: YamlProgram): void {
        const text = dump({
            name: this.name,
            runtime: "yaml",
            ...program,
            resources: program.resources ?? {},
        });
        writeFileSync(path.join(this.dir, "Pulumi.yaml"), text);
    }

    /** The environment of the project's commands: the YAML language host on PATH. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env = pulumiEnv(this.stateDir, extra);
        env.PATH = `${langhostsBinDir()}${path.delimiter}${env.PATH ?? ""}`;
        return env;
    }

    /** `pulumi <args> --non-interactive --stack test`. */
    async pulumi(args: string[], options: RunOptions = {}): Promise<CommandResult> {
        const result = await runCommand(
            "pulumi",
            [...args, "--non-interactive", "--stack", this.stack],
            this.dir,
            this.env(options.env),
            { timeoutMs: 180_000, ...options },
        );
        this.history.push(result);
        return result;
    }

    /** `pulumi config set [--path] [--secret|--plaintext] key`, the value on stdin. */
    async setConfig(
        key: string,
        value: string,
        options: { secret?: boolean; path?: boolean } = {},
    ): Promise<void> {
        const args = ["config", "set", key];
        if (options.path) args.push("--path");
        args.push(options.secret ? "--secret" : "--plaintext");
        await this.pulumi(args, { input: value });
    }

    /** `pulumi up --yes` (with its preview unless `skipPreview`). */
    up(options: RunOptions & { skipPreview?: boolean; args?: string[] } = {}): Promise<CommandResult> {
        const args = [
            "up",
            "--yes",
            ...(options.skipPreview ? ["--skip-preview"] : []),
            ...(options.args ?? []),
        ];
        return this.pulumi(args, options);
    }

    /** `pulumi preview`, with more arguments. */
    preview(args: string[] = [], options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(["preview", ...args], options);
    }

    /** The resources of the `dovecot` package in the exported state. */
    async stateResources(): Promise<StateResource[]> {
        const exported = await this.pulumi(["stack", "export"]);
        const state = parseJson<{ deployment?: { resources?: StateResource[] } }>(
            exported.stdout,
            "stack export",
        );
        return (state.deployment?.resources ?? []).filter((r) => r.type.startsWith("dovecot:index:"));
    }

    /** Removes the project and its backend. */
    cleanup(): void {
        rmSync(this.root, { recursive: true, force: true });
    }
}
