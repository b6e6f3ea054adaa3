// Runs a copy of one of the language examples (examples/yaml, examples/python, examples/go) through the
// real `pulumi` CLI against the `dovecot` provider plugin, as a user of that language would: the
// example folder copied into a temporary project, a file backend in the same temporary folder, the
// plugin found on PATH (node_modules/.bin/pulumi-resource-dovecot, built by `npm run build`), and the
// language hosts that scripts/install-langhosts.sh builds (with its Python virtualenv first on PATH for
// Python programs). The SDKs: Python's is installed with `pip install --no-deps --target` into the
// temporary folder and put on PYTHONPATH, beside the Pulumi Python SDK of that shared virtualenv (which
// is left as it is; a user makes a virtualenv of their own, as examples/python/README.md says); Go's is
// the go.mod `replace` pointed at this checkout's sdk/go, as a user of a copy of the folder does.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    CommandResult,
    PreviewResult,
    REPO_ROOT,
    RunOptions,
    StateResource,
    parseJson,
    pulumiBinDir,
    pulumiEnv,
    runCommand,
} from "./pulumi";
import { MARK, newMark } from "./processes";

/** The languages with an example folder run through the provider plugin. */
export type ExampleLanguage = "yaml" | "python" | "go";

/** The Go module of the generated SDK (sdk/go/go.mod), which examples/go/go.mod replaces. */
export const GO_SDK_MODULE = "github.com/pulumi-dovecot/pulumi-dovecot/sdk/go";

/** The default timeout of one pulumi command of an example (the Go host builds the program first). */
const COMMAND_TIMEOUT_MS: Record<ExampleLanguage, number> = {
    yaml: 120_000,
    python: 120_000,
    go: 300_000,
};

let langhostsBin: string | undefined;

/**
 * The folder with pulumi-language-python, -yaml and -go, built once per machine by
 * scripts/install-langhosts.sh (instant when cached); its sibling `venv` is the Python virtualenv.
 */
export function langhostsBinDir(): string {
    if (langhostsBin) return langhostsBin;
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-langhosts.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 30 * 60_000,
    });
    const dir = out.trim().split("\n").pop()?.trim() ?? "";
    if (!dir || !existsSync(path.join(dir, "pulumi-language-yaml")))
        throw new Error(`scripts/install-langhosts.sh printed no usable folder: ${JSON.stringify(out)}`);
    langhostsBin = dir;
    return dir;
}

/** The bin folder of the Python virtualenv that holds the Pulumi Python SDK. */
export function pythonVenvBin(): string {
    return path.join(langhostsBinDir(), "..", "venv", "bin");
}

/** A copy of examples/<language> with one stack, `test`, in a file backend of its own. */
export class ExampleProject {
    /** The temporary folder holding the project, the backend and what the project installs. */
    readonly root: string;
    /** The project folder (the copy of the example). */
    readonly dir: string;
    /** The file backend folder. */
    readonly stateDir: string;
    readonly stack = "test";
    /** Every command run so far (pulumi and the rest), for failure messages and scans. */
    readonly history: CommandResult[] = [];

    private constructor(
        readonly language: ExampleLanguage,
        root: string,
    ) {
        this.root = root;
        this.dir = path.join(root, "project");
        this.stateDir = path.join(root, "state");
    }

    /** The example folder in this repository. */
    static exampleDir(language: ExampleLanguage): string {
        return path.join(REPO_ROOT, "examples", language);
    }

    /**
     * Copies the example, installs the SDK the way its README says (Python: `pip install --target`;
     * Go: the `replace` pointed at this checkout) and initializes the stack. The plugin must be built
     * (`npm run build`).
     */
    static async create(language: ExampleLanguage): Promise<ExampleProject> {
        const plugin = path.join(REPO_ROOT, "dist", "provider", "plugin", "main.js");
        if (!existsSync(plugin)) throw new Error(`${plugin} is missing: run \`npm run build\` first`);
        const root = mkdtempSync(path.join(os.tmpdir(), `pulumi-dovecot-example-${language}-`));
        const project = new ExampleProject(language, root);
        try {
            mkdirSync(project.stateDir, { recursive: true });
            cpSync(ExampleProject.exampleDir(language), project.dir, {
                recursive: true,
                // Nothing a local run of the example may have left beside it.
                filter: (source) => !/[/\\](venv|\.venv|__pycache__|Pulumi\.[^/\\]+\.yaml)$/.test(source),
            });
            if (language === "python") {
                await project.run(
                    path.join(pythonVenvBin(), "python"),
                    [
                        "-m",
                        "pip",
                        "install",
                        "--disable-pip-version-check",
                        "-q",
                        "--no-deps",
                        "--target",
                        project.sitePackages,
                        path.join(REPO_ROOT, "sdk", "python"),
                    ],
                    { timeoutMs: 300_000 },
                );
            }
            if (language === "go") {
                // What a user does with a copy of the folder outside the clone (examples/go/README.md).
                await project.run(
                    "go",
                    ["mod", "edit", "-replace", `${GO_SDK_MODULE}=${path.join(REPO_ROOT, "sdk", "go")}`],
                    { timeoutMs: 60_000 },
                );
            }
            await project.pulumi(["stack", "init", project.stack, "--non-interactive"]);
            return project;
        } catch (error) {
            project.cleanup();
            throw error;
        }
    }

    /** Where the Python SDK is installed (on PYTHONPATH of the program). */
    get sitePackages(): string {
        return path.join(this.root, "site-packages");
    }

    /** The environment of this project's commands. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env = pulumiEnv(this.stateDir);
        env.PATH = [
            // The Python host runs `python` from PATH: the virtualenv's must come first.
            ...(this.language === "python" ? [pythonVenvBin()] : []),
            // The plugin (pulumi-resource-dovecot) and the Node.js it runs with.
            path.join(REPO_ROOT, "node_modules", ".bin"),
            pulumiBinDir(),
            langhostsBinDir(),
            process.env.PATH ?? "",
        ].join(path.delimiter);
        if (this.language === "python") env.PYTHONPATH = this.sitePackages;
        if (this.language === "go") {
            env.GOFLAGS = "-mod=mod";
            env.GOTOOLCHAIN = "local";
        }
        return { ...env, ...extra };
    }

    /** Runs any command in the project folder with the project's environment. */
    async run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
        const env = { ...this.env(options.env), [MARK]: newMark() };
        const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS[this.language];
        try {
            const result = await runCommand(command, args, this.dir, env, { ...options, timeoutMs });
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

    /** `pulumi config set [--path] [--secret] key value`, the value passed on stdin. */
    async setConfig(key: string, value: string, options: { secret?: boolean } = {}): Promise<void> {
        const args = ["config", "set", key, "--stack", this.stack, "--non-interactive"];
        args.push(options.secret ? "--secret" : "--plaintext");
        await this.pulumi(args, { input: value });
    }

    /** `pulumi up --yes --skip-preview`, with more arguments. */
    async up(extra: string[] = [], options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(
            ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack, ...extra],
            options,
        );
    }

    /** `pulumi preview --json`, parsed. */
    async preview(options: RunOptions = {}): Promise<PreviewResult> {
        const result = await this.pulumi(
            ["preview", "--json", "--non-interactive", "--stack", this.stack],
            options,
        );
        return parseJson<PreviewResult>(result.stdout, "pulumi preview --json");
    }

    /** `pulumi preview --expect-no-changes`: fails when the program and the state differ. */
    async expectNoChanges(options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(
            ["preview", "--expect-no-changes", "--non-interactive", "--stack", this.stack],
            options,
        );
    }

    /** `pulumi refresh --preview-only --json`: what a refresh would change, parsed. */
    async previewRefresh(options: RunOptions = {}): Promise<PreviewResult> {
        const result = await this.pulumi(
            ["refresh", "--preview-only", "--json", "--non-interactive", "--stack", this.stack],
            options,
        );
        return parseJson<PreviewResult>(result.stdout, "pulumi refresh --preview-only --json");
    }

    /** `pulumi refresh --yes --skip-preview`. */
    async refresh(options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(
            ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack],
            options,
        );
    }

    /** `pulumi destroy --yes --skip-preview`, with more arguments. */
    async destroy(extra: string[] = [], options: RunOptions = {}): Promise<CommandResult> {
        return this.pulumi(
            ["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack, ...extra],
            options,
        );
    }

    /** `pulumi stack output --json --show-secrets`. */
    async outputs(): Promise<Record<string, unknown>> {
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

    /** Every resource of the exported state, the stack and the providers included. */
    async stateResources(): Promise<StateResource[]> {
        const state = parseJson<{ deployment?: { resources?: StateResource[] } }>(
            await this.exportText(),
            "pulumi stack export",
        );
        return state.deployment?.resources ?? [];
    }

    /** A file of the project. */
    read(name: string): string {
        return readFileSync(path.join(this.dir, name), "utf8");
    }

    /** Removes the project, its backend and what it installed (the stack is not destroyed). */
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
