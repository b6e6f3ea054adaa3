// Runs a copy of one of the language examples (examples/yaml, examples/python, examples/go) through the
// real `pulumi` CLI against the `dovecot` provider plugin, as a user of that language would: the
// example folder copied into a temporary project, a file backend and a PULUMI_HOME in the same
// temporary folder, and the language hosts that scripts/install-langhosts.sh builds. What the example's
// README tells a user to do is done as it says: its `plugins` block in Pulumi.yaml pointed at this
// checkout's dist/plugin (the plugin that `npm run build` writes there, run with the Node.js of
// node_modules), as in a copy of the folder outside the clone; then its install blocks
// (`<!-- install: ... -->`, see install-lines.ts) run as written, with `/path/to/pulumi-dovecot` being
// this checkout: Python's make a virtualenv of the project's own and install the SDK and
// requirements.txt into it (and put its bin first on PATH), Go's point go.mod's `replace` at
// this checkout's sdk/go and build the program. Nothing else is on PATH for the plugin: no
// node_modules/.bin, no folder holding a pulumi-resource-dovecot, so the plugin can only come from
// Pulumi.yaml, and the engine's "using pulumi-resource-dovecot from $PATH" warning cannot appear.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { forClone, installBlocks, runBlock } from "./install-lines";
import { MARK, newMark } from "./processes";
import {
    CommandResult,
    RunOptions,
    langhostsBinDir,
    pathWithoutPlugin,
    pulumiBinDir,
    pulumiEnv,
} from "./pulumi-cli";
import { REPO_ROOT } from "./repo";
import { PreviewResult, StackProject } from "./stack-project";

export { langhostsBinDir, pathWithoutPlugin };

/** The languages with an example folder run through the provider plugin. */
export type ExampleLanguage = "yaml" | "python" | "go";

/** The Go module of the generated SDK (sdk/go/go.mod), which examples/go/go.mod replaces. */
export const GO_SDK_MODULE = "github.com/pulumi-dovecot/pulumi-dovecot/sdk/go";

/** The plugin folder an example's Pulumi.yaml names, relative to the example inside the clone. */
export const EXAMPLE_PLUGIN_PATH = "../../dist/plugin";

/** What the engine prints on each load of a plugin it found on PATH. */
export const PLUGIN_FROM_PATH_WARNING = "using pulumi-resource-dovecot from $PATH";

/** The default timeout of one pulumi command of an example (the Go host builds the program first). */
const COMMAND_TIMEOUT_MS: Record<ExampleLanguage, number> = {
    yaml: 120_000,
    python: 120_000,
    go: 300_000,
};

/** How long an example's install blocks may take (Go's first build on a machine: many minutes). */
export const INSTALL_TIMEOUT_MS: Record<ExampleLanguage, number> = {
    yaml: 60_000,
    python: 600_000,
    go: 25 * 60_000,
};

/** The bin folder of the language hosts' Python virtualenv. */
export function pythonVenvBin(): string {
    return path.join(langhostsBinDir(), "..", "venv", "bin");
}

/**
 * The version of the Pulumi Python SDK in the language hosts' virtualenv: the one the Python host built
 * here runs, and not newer than the CLI. A user's CLI and host take the newest; a test's pip is held
 * to this one (PIP_CONSTRAINT), the README's commands unchanged.
 */
export function pythonSdkVersion(): string {
    return execFileSync(
        path.join(pythonVenvBin(), "python"),
        ["-c", "import importlib.metadata as m; print(m.version('pulumi'))"],
        { encoding: "utf8", timeout: 60_000 },
    ).trim();
}

/**
 * The commands of a history (`args` joined) whose output has PLUGIN_FROM_PATH_WARNING: none, when the
 * engine never took the plugin from PATH.
 */
export function warnedOfPluginOnPath(history: readonly CommandResult[]): string[] {
    return history.filter((r) => r.output.includes(PLUGIN_FROM_PATH_WARNING)).map((r) => r.args.join(" "));
}

/** A copy of examples/<language> with one stack, `test`, in a file backend of its own. */
export class ExampleProject extends StackProject {
    /** What the README's install blocks exported for the commands after them (PATH). */
    private exported: Record<string, string> = {};

    private constructor(readonly language: ExampleLanguage) {
        super(`pulumi-dovecot-example-${language}-`);
    }

    /** The example folder in this repository. */
    static exampleDir(language: ExampleLanguage): string {
        return path.join(REPO_ROOT, "examples", language);
    }

    /**
     * Copies the example, points its Pulumi.yaml at this checkout's plugin, runs its README's install
     * blocks and initializes the stack. The plugin must be built (`npm run build`).
     */
    static async create(language: ExampleLanguage): Promise<ExampleProject> {
        const plugin = path.join(REPO_ROOT, "dist", "plugin", "pulumi-resource-dovecot");
        if (!existsSync(plugin)) throw new Error(`${plugin} is missing: run \`npm run build\` first`);
        const project = new ExampleProject(language);
        try {
            mkdirSync(project.home, { recursive: true });
            cpSync(ExampleProject.exampleDir(language), project.dir, {
                recursive: true,
                // Nothing a local run of the example may have left beside it.
                filter: (source) => !/[/\\](venv|\.venv|__pycache__|Pulumi\.[^/\\]+\.yaml)$/.test(source),
            });
            // As its README says for a copy outside the clone: the plugins block names the clone's build.
            const manifest = project.read("Pulumi.yaml");
            const line = `path: ${EXAMPLE_PLUGIN_PATH}\n`;
            if (manifest.split(line).length !== 2)
                throw new Error(`examples/${language}/Pulumi.yaml does not name ${EXAMPLE_PLUGIN_PATH} once`);
            writeFileSync(
                path.join(project.dir, "Pulumi.yaml"),
                manifest.replace(line, `path: ${path.join(REPO_ROOT, "dist", "plugin")}\n`),
            );
            if (language === "python")
                writeFileSync(project.pipConstraints, `pulumi==${pythonSdkVersion()}\n`);
            for (const block of installBlocks(path.join(ExampleProject.exampleDir(language), "README.md"))) {
                const env = { ...project.env(), [MARK]: newMark() };
                const ran = await runBlock(forClone(block.text, REPO_ROOT), project.dir, env, {
                    timeoutMs: INSTALL_TIMEOUT_MS[language],
                });
                project.history.push({ ...ran.result, args: [`install block ${block.id}`] });
                project.exported = { ...project.exported, ...ran.exported };
            }
            await project.initStack();
            return project;
        } catch (error) {
            project.cleanup();
            throw error;
        }
    }

    /** The project's PULUMI_HOME (plugin cache, workspace settings): empty, its own. */
    get home(): string {
        return path.join(this.root, "pulumi-home");
    }

    /** The pip constraints of the project's installs (the Pulumi Python SDK the host runs). */
    get pipConstraints(): string {
        return path.join(this.root, "pip-constraints.txt");
    }

    /** The Go host builds the program before each command. */
    protected override get commandTimeoutMs(): number {
        return COMMAND_TIMEOUT_MS[this.language];
    }

    /** The environment of this project's commands. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env = pulumiEnv(this.stateDir, { PULUMI_HOME: this.home });
        // The CLI and the language hosts; the rest of the caller's PATH less any folder with the plugin.
        env.PATH = [pulumiBinDir(), langhostsBinDir(), ...pathWithoutPlugin(process.env.PATH)].join(
            path.delimiter,
        );
        if (this.language === "python") {
            env.PIP_CONSTRAINT = this.pipConstraints;
            env.PIP_DISABLE_PIP_VERSION_CHECK = "1";
        }
        if (this.language === "go") {
            // go.mod and go.sum as the example ships them, whatever the caller's GOFLAGS.
            env.GOFLAGS = "-mod=readonly";
            env.GOTOOLCHAIN = "local";
        }
        return { ...env, ...this.exported, ...extra };
    }

    /** `pulumi up --yes --skip-preview`, with more arguments. */
    async up(extra: string[] = [], options: RunOptions = {}): Promise<CommandResult> {
        return this.upWith(["--skip-preview", ...extra], options);
    }

    /** `pulumi preview --json`, parsed. */
    async preview(options: RunOptions = {}): Promise<PreviewResult> {
        return this.previewJson([], options);
    }

    /** `pulumi destroy --yes --skip-preview`, with more arguments. */
    async destroy(extra: string[] = [], options: RunOptions = {}): Promise<CommandResult> {
        return this.destroyWith(extra, options);
    }
}
