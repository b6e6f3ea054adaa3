// A scratch Pulumi YAML project that uses the `dovecot` provider plugin (node_modules/.bin after
// `npm run build`), with a file backend of its own: for tests whose subject needs the plugin's provider
// instances (explicit providers, imports) rather than a whole language example.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { dump } from "js-yaml";
import { CommandResult, RunOptions, langhostsBinDir, pulumiEnv } from "./pulumi-cli";
import { StackProject, StackServer } from "./stack-project";

/** A YAML program: its resources (and variables), as Pulumi YAML takes them. */
export interface YamlProgram {
    resources?: Record<string, unknown>;
    variables?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

/** A YAML project with one stack, `test`. Every `pulumi` command of it runs on that stack, non-interactive. */
export class YamlProject extends StackProject {
    private constructor(private readonly name: string) {
        super(`pulumi-dovecot-${name}-`);
    }

    /** Makes the project and its stack; with `server`, sets it as the default server. */
    static async create(options: {
        name: string;
        server?: StackServer;
        program?: YamlProgram;
    }): Promise<YamlProject> {
        const project = new YamlProject(options.name);
        project.setProgram(options.program ?? {});
        await project.initStack(options.server);
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

    /** How long one command may take: 180 s, what this project has always allowed. */
    protected override get commandTimeoutMs(): number {
        return 180_000;
    }

    /** The resources of the `dovecot` package. */
    protected override get listedTypes(): string {
        return "dovecot:index:";
    }

    /** `pulumi <args> --non-interactive --stack test`. */
    override async pulumi(args: string[], options: RunOptions = {}): Promise<CommandResult> {
        return this.onStack(args, [], options);
    }

    /** `pulumi up --yes` (with its preview unless `skipPreview`). */
    up(options: RunOptions & { skipPreview?: boolean; args?: string[] } = {}): Promise<CommandResult> {
        return this.upWith(
            [...(options.skipPreview ? ["--skip-preview"] : []), ...(options.args ?? [])],
            options,
        );
    }

    /** `pulumi preview`, with more arguments. */
    preview(args: string[] = [], options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(["preview", ...args], options);
    }
}
