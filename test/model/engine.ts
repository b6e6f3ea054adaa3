// The engine the model drives: what applies a program's resources, refreshes, destroys, checks for
// drift and keeps the state. Two of them: the real `pulumi` CLI (a scratch project of
// test/harness/pulumi.ts: previews, processes, serialization and the state file are the engine's
// own), and the life cycle run in-process through the provider's dispatcher (test/harness/lifecycle.ts:
// the same handlers, claims and clients, without the engine, in a fraction of the time). The model and
// its checks see only this interface, so every invariant is checked the same way through either.
//
// Where the two legitimately differ, the model accepts both: the CLI runs `up --skip-preview` and
// applies resources in parallel as they pass their checks, so of two resources with one target either
// may be refused in check, or the first by its own create (duplicates.ts); in-process every resource is
// checked before any is applied, in the order declared, one at a time.
import { Declared, LifeCycle, asCommand, classOf, kindOfClass, previewRefreshed } from "../harness/lifecycle";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

/** What one run of the engine did, as a command's result. */
export interface EngineResult {
    /** 0 when it succeeded. */
    code: number | null;
    /** What it printed: the refusals the model expects are matched against it. */
    output: string;
    durationMs: number;
}

/** A resource of the engine's state, as `pulumi stack export` lists it. */
export interface EngineResource {
    /** Ends with `::<name>`, the Pulumi resource name. */
    urn: string;
    id?: string;
    outputs?: Record<string, unknown>;
}

/** The settings of one server, as the stack configuration holds them. */
export interface ServerSettings {
    endpoint: string;
    apiKey: string;
}

/** The engine the model drives. */
export interface Engine {
    /** Which engine, for the log. */
    readonly name: string;
    /** `up` of `resources` (they become the program), with a refresh first when `refresh`. */
    up(resources: ResourceSpec[], options?: { refresh?: boolean }): Promise<EngineResult>;
    /** `refresh`: reads every resource of the state. */
    refresh(): Promise<EngineResult>;
    /** `destroy`: deletes every resource of the state. */
    destroy(): Promise<EngineResult>;
    /** `preview --refresh --expect-no-changes` of the last program: fails when it finds anything to do. */
    previewNoChanges(): Promise<EngineResult>;
    /** The resources of the state. */
    stateResources(): Promise<EngineResource[]>;
    /** The last `last` runs with their output, for a failure message. */
    transcript(last: number): string;
    /** Releases what the engine holds (a scratch project). */
    stop(): Promise<void>;
}

/** Which engine a run of the model uses. */
export type EngineKind = "cli" | "in-process";

/** The Pulumi project name, which the GUIDs' creator tags carry. */
const PROJECT = "model";
/** The longest one `up` or `destroy` may take (a stopped server, retries, several resources). */
const RUN_TIMEOUT_MS = 240_000;
/** The request timeout of both servers, so that a stopped server fails fast. */
const TIMEOUT_MS = "3000";

/** Starts an engine for a stack on the default server and one named `east`. */
export async function startEngine(
    kind: EngineKind,
    servers: { default: ServerSettings; east: ServerSettings },
): Promise<Engine> {
    if (kind === "in-process") {
        const east = { ...servers.east, timeoutMs: TIMEOUT_MS };
        const config = {
            "dovecot:endpoint": servers.default.endpoint,
            "dovecot:apiKey": servers.default.apiKey,
            "dovecot:timeoutMs": TIMEOUT_MS,
            "dovecot:servers": JSON.stringify({ east }),
        };
        return new InProcessEngine(new LifeCycle(config, PROJECT, "test"));
    }
    const project = await PulumiProject.create({ server: servers.default, name: PROJECT });
    await project.setConfig("dovecot:timeoutMs", TIMEOUT_MS);
    await project.setConfig("dovecot:servers.east.endpoint", servers.east.endpoint, { path: true });
    await project.setConfig("dovecot:servers.east.apiKey", servers.east.apiKey, { path: true, secret: true });
    await project.setConfig("dovecot:servers.east.timeoutMs", TIMEOUT_MS, { path: true });
    return new CliEngine(project);
}

/** The real `pulumi` CLI on a scratch project (`up --skip-preview`). */
class CliEngine implements Engine {
    readonly name = "pulumi CLI";
    constructor(private readonly project: PulumiProject) {}
    up(resources: ResourceSpec[], options: { refresh?: boolean } = {}) {
        this.project.setResources(resources);
        return this.project.up({ allowFailure: true, timeoutMs: RUN_TIMEOUT_MS, refresh: options.refresh });
    }
    refresh() {
        return this.project.refresh({ allowFailure: true });
    }
    destroy() {
        return this.project.destroy({ allowFailure: true, timeoutMs: RUN_TIMEOUT_MS });
    }
    previewNoChanges() {
        const stack = ["--stack", this.project.stack];
        return this.project.pulumi(
            ["preview", "--refresh", "--expect-no-changes", "--non-interactive", ...stack],
            {
                allowFailure: true,
            },
        );
    }
    stateResources() {
        return this.project.stateResources();
    }
    transcript(last: number) {
        return this.project.transcript(last);
    }
    async stop() {
        this.project.cleanup();
    }
}

/** The handlers' life cycle in-process (test/harness/lifecycle.ts), each run a new provider process. */
class InProcessEngine implements Engine {
    readonly name = "in-process";
    /** The program, as the last `up` was given it. */
    private program: Declared[] = [];
    private readonly history: Array<{ command: string; result: EngineResult }> = [];
    constructor(private readonly stack: LifeCycle) {}

    /** Runs `run` as `command`, bounded by RUN_TIMEOUT_MS, and keeps it for the transcript. */
    private async run(command: string, run: () => Promise<EngineResult>): Promise<EngineResult> {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
                () => reject(new Error(`in-process ${command} did not end in ${RUN_TIMEOUT_MS} ms`)),
                RUN_TIMEOUT_MS,
            );
        });
        try {
            const result = await Promise.race([run(), timeout]);
            this.history.push({ command, result });
            return result;
        } finally {
            clearTimeout(timer);
        }
    }

    up(resources: ResourceSpec[], options: { refresh?: boolean } = {}) {
        // As the CLI's program reads them: a JSON file, so the model's objects are never shared.
        this.program = (JSON.parse(JSON.stringify(resources)) as ResourceSpec[]).map((spec) => ({
            kind: kindOfClass(spec.kind),
            name: spec.name,
            args: spec.args,
        }));
        return this.run(options.refresh ? "up --refresh" : "up", async () => {
            if (!options.refresh) return asCommand(() => this.stack.up(this.program));
            const refresh = await asCommand(() => this.stack.refresh());
            if (refresh.code !== 0) return refresh;
            const up = await asCommand(() => this.stack.up(this.program));
            return {
                ...up,
                output: `${refresh.output}\n${up.output}`,
                durationMs: refresh.durationMs + up.durationMs,
            };
        });
    }
    refresh() {
        return this.run("refresh", () => asCommand(() => this.stack.refresh()));
    }
    destroy() {
        return this.run("destroy", () => asCommand(() => this.stack.destroy()));
    }
    previewNoChanges() {
        return this.run("preview --refresh --expect-no-changes", async () => {
            let changes: string[] = [];
            const preview = await asCommand(async () => {
                const result = await previewRefreshed(this.stack, this.program);
                changes = result.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
                return result;
            });
            if (preview.code !== 0 || changes.length === 0) return preview;
            const error = `    error: no changes were expected; the preview found: ${changes.join(", ")}`;
            return { ...preview, code: 1, output: `${preview.output}\n${error}` };
        });
    }
    async stateResources() {
        return [...this.stack.state.values()].map((r) => ({
            urn: `urn:pulumi:${this.stack.stack}::${PROJECT}::dovecot:${classOf(r.kind)}::${r.name}`,
            id: r.id,
            outputs: JSON.parse(JSON.stringify(r.outputs)) as Record<string, unknown>,
        }));
    }
    transcript(last: number) {
        return this.history
            .slice(-last)
            .map(
                ({ command, result }) =>
                    `$ ${command} (exit ${result.code}, ${result.durationMs} ms)\n${result.output}`,
            )
            .join("\n");
    }
    async stop() {}
}
