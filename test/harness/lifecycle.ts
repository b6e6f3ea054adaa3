// The life cycle of a program's resources, run in-process against a real Dovecot, for the `server`
// tier: what the engine does with a provider's methods, without the engine. `up` checks every
// declared resource, then creates, updates or replaces each in the order declared and deletes those no
// longer declared (last declared first), and stops at the first failure, recording what a failed
// create or update reported (a partial failure's id and properties), as the engine does; `preview`
// checks and diffs without applying; `refresh` reads; `destroy` deletes. Every run starts as a new
// provider process would: new claims, new clients and snapshots. The methods are called through the
// dispatcher, as the serialized provider objects call them. Tests check the server with doveadm.
//
// It stands for the engine's part only as far as the handlers see it (sequential, one process); what
// needs the engine itself (its preview before up, checkpoints, killed runs, serialization, the
// plugin protocol) stays in the `cli` tier.
import { forgetClaims } from "../../provider/claims";
import { resetEndpointState } from "../../provider/client/client";
import { NAME_KEY } from "../../provider/check";
import { ResourceKind, dispatch } from "../../provider/dispatcher";
import { PartialFailureError } from "../../provider/handlers/partial";
import { kindNamed } from "../../provider/kinds";
import { AnyKind } from "../../provider/kinds/kind";
import { creatorOf } from "../../provider/ownership";
import { LEGACY_KEYS } from "../../provider/serialized/table";
import { Loose } from "./providers";

/** The kind a declared resource names: by its name (`Mailbox`) or a provider object's key (`mailbox`). */
function kindOf(kind: ResourceKind): AnyKind {
    const found = kindNamed(LEGACY_KEYS[kind] ?? kind);
    if (!found) throw new Error(`no resource kind ${JSON.stringify(kind)}`);
    return found;
}

/** One resource of the program. */
export interface Declared {
    kind: ResourceKind;
    /** Its Pulumi name. */
    name: string;
    /** Its inputs, as the program passes them. */
    args: Record<string, unknown>;
}

/** One resource of the state. */
export interface Recorded {
    kind: ResourceKind;
    name: string;
    id: string;
    /** The checked inputs it was last applied with. */
    inputs: Record<string, unknown>;
    /** What the provider last reported. */
    outputs: Record<string, unknown>;
}

/** What one step did, as the CLI's summary names it. */
export interface Step {
    op: "create" | "update" | "replace" | "delete" | "same" | "refresh" | "forget";
    name: string;
}

/** The result of a run: its steps, and its error when it stopped at one. */
export interface RunResult {
    steps: Step[];
    /** The first failure (a check's failures are joined into one Error). */
    error?: Loose;
}

/** A program's stack, applied in-process. */
export class LifeCycle {
    /** The state, by Pulumi name, in the order resources were first recorded. */
    readonly state = new Map<string, Recorded>();

    constructor(
        private config: Record<string, string>,
        readonly project = "lifecycle",
        readonly stack = "test",
    ) {}

    /** Sets the stack configuration the next runs use. */
    setConfig(config: Record<string, string>): void {
        this.config = config;
    }

    /** A new provider process: new claims, clients and snapshots, configured with the stack's settings. */
    private async newProcess(): Promise<void> {
        forgetClaims();
        resetEndpointState();
        await dispatch("mailbox", "configure", [{ config: { get: (key: string) => this.config[key] } }]);
    }

    /** The inputs the resource class passes for `declared` (its creator, its name for messages). */
    private news(declared: Declared): Record<string, unknown> {
        const kind = kindOf(declared.kind);
        const creator = kind.tagsGuids
            ? { creator: creatorOf(kind.name, this.project, this.stack, declared.name) }
            : {};
        return { ...declared.args, ...creator, [NAME_KEY]: declared.name };
    }

    /** check() of every declared resource; the failures of all, as the engine prints them. */
    private async checkAll(
        program: readonly Declared[],
    ): Promise<{ inputs: Map<string, Record<string, unknown>>; error?: Error }> {
        const inputs = new Map<string, Record<string, unknown>>();
        const problems: string[] = [];
        for (const declared of program) {
            const olds = this.state.get(declared.name)?.inputs ?? {};
            const result = (await dispatch(declared.kind, "check", [olds, this.news(declared)])) as Loose;
            for (const failure of result.failures ?? [])
                problems.push(
                    `${kindOf(declared.kind).name} ${JSON.stringify(declared.name)}: ${failure.reason}`,
                );
            inputs.set(declared.name, result.inputs);
        }
        return { inputs, ...(problems.length > 0 ? { error: new Error(problems.join("\n")) } : {}) };
    }

    private async create(declared: Declared, inputs: Record<string, unknown>): Promise<void> {
        try {
            const { id, outs } = (await dispatch(declared.kind, "create", [inputs])) as Loose;
            this.state.set(declared.name, {
                kind: declared.kind,
                name: declared.name,
                id,
                inputs,
                outputs: outs,
            });
        } catch (error) {
            if (error instanceof PartialFailureError) {
                const { __provider: _provider, ...outputs } = error.properties;
                this.state.set(declared.name, {
                    kind: declared.kind,
                    name: declared.name,
                    id: error.id,
                    inputs,
                    outputs,
                });
            }
            throw error;
        }
    }

    private async remove(recorded: Recorded): Promise<void> {
        await dispatch(recorded.kind, "delete", [recorded.id, recorded.outputs]);
        this.state.delete(recorded.name);
    }

    /** Checks and diffs the program against the state; applies nothing. */
    async preview(program: readonly Declared[]): Promise<RunResult> {
        await this.newProcess();
        const steps: Step[] = [];
        const { inputs, error } = await this.checkAll(program);
        if (error) return { steps, error };
        try {
            for (const declared of program) {
                const recorded = this.state.get(declared.name);
                if (!recorded) {
                    steps.push({ op: "create", name: declared.name });
                    continue;
                }
                const news = inputs.get(declared.name) as Record<string, unknown>;
                const diff = (await dispatch(declared.kind, "diff", [
                    recorded.id,
                    recorded.outputs,
                    news,
                ])) as Loose;
                steps.push({
                    op: (diff.replaces ?? []).length > 0 ? "replace" : diff.changes ? "update" : "same",
                    name: declared.name,
                });
            }
            const declaredNames = new Set(program.map((d) => d.name));
            for (const name of [...this.state.keys()].reverse())
                if (!declaredNames.has(name)) steps.push({ op: "delete", name });
        } catch (caught) {
            return { steps, error: caught };
        }
        return { steps };
    }

    /**
     * `pulumi up --skip-preview`: applies the program, stopping at the first failure; with
     * `continueOnError` (`--continue-on-error`), going on with the other resources and returning the
     * first failure at the end.
     */
    async up(program: readonly Declared[], options: { continueOnError?: boolean } = {}): Promise<RunResult> {
        await this.newProcess();
        const steps: Step[] = [];
        const { inputs, error } = await this.checkAll(program);
        if (error) return { steps, error };
        let firstError: unknown;
        try {
            for (const declared of program) {
                try {
                    await this.apply(declared, inputs.get(declared.name) as Record<string, unknown>, steps);
                } catch (caught) {
                    if (!options.continueOnError) throw caught;
                    firstError ??= caught;
                }
            }
            const declaredNames = new Set(program.map((d) => d.name));
            for (const recorded of [...this.state.values()].reverse()) {
                if (declaredNames.has(recorded.name)) continue;
                await this.remove(recorded);
                steps.push({ op: "delete", name: recorded.name });
            }
        } catch (caught) {
            return { steps, error: caught };
        }
        return firstError === undefined ? { steps } : { steps, error: firstError };
    }

    /** Creates, updates or replaces one declared resource, as the engine does. */
    private async apply(declared: Declared, news: Record<string, unknown>, steps: Step[]): Promise<void> {
        const recorded = this.state.get(declared.name);
        if (!recorded) {
            await this.create(declared, news);
            steps.push({ op: "create", name: declared.name });
            return;
        }
        const diff = (await dispatch(declared.kind, "diff", [recorded.id, recorded.outputs, news])) as Loose;
        if ((diff.replaces ?? []).length > 0) {
            if (diff.deleteBeforeReplace) {
                await this.remove(recorded);
                await this.create(declared, news);
            } else {
                const old = { ...recorded };
                await this.create(declared, news);
                await dispatch(old.kind, "delete", [old.id, old.outputs]);
            }
            steps.push({ op: "replace", name: declared.name });
        } else if (diff.changes) {
            try {
                const { outs } = (await dispatch(declared.kind, "update", [
                    recorded.id,
                    recorded.outputs,
                    news,
                ])) as Loose;
                this.state.set(declared.name, { ...recorded, inputs: news, outputs: outs ?? news });
            } catch (caught) {
                if (caught instanceof PartialFailureError) {
                    const { __provider: _provider, ...outputs } = caught.properties;
                    this.state.set(declared.name, {
                        ...recorded,
                        id: caught.id,
                        inputs: news,
                        outputs,
                    });
                }
                throw caught;
            }
            steps.push({ op: "update", name: declared.name });
        } else {
            this.state.set(declared.name, { ...recorded, inputs: news });
            steps.push({ op: "same", name: declared.name });
        }
    }

    /** `pulumi refresh`: reads every resource; one the provider reports gone is forgotten. */
    async refresh(): Promise<RunResult> {
        await this.newProcess();
        const steps: Step[] = [];
        try {
            for (const recorded of [...this.state.values()]) {
                const read = (await dispatch(recorded.kind, "read", [
                    recorded.id,
                    recorded.outputs,
                ])) as Loose;
                if (!read?.id) {
                    this.state.delete(recorded.name);
                    steps.push({ op: "forget", name: recorded.name });
                    continue;
                }
                this.state.set(recorded.name, {
                    ...recorded,
                    id: read.id,
                    outputs: read.props ?? recorded.outputs,
                    inputs: read.inputs ?? recorded.inputs,
                });
                steps.push({ op: "refresh", name: recorded.name });
            }
        } catch (caught) {
            return { steps, error: caught };
        }
        return { steps };
    }

    /** `pulumi destroy`: deletes every resource, last recorded first, stopping at the first failure. */
    async destroy(): Promise<RunResult> {
        await this.newProcess();
        const steps: Step[] = [];
        try {
            for (const recorded of [...this.state.values()].reverse()) {
                await this.remove(recorded);
                steps.push({ op: "delete", name: recorded.name });
            }
        } catch (caught) {
            return { steps, error: caught };
        }
        return { steps };
    }

    /** The changes a preview finds (all but `same`), as `op name`. */
    async changes(program: readonly Declared[]): Promise<string[]> {
        const result = await this.preview(program);
        if (result.error) throw result.error;
        return result.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
    }

    /** The recorded outputs of `name`. */
    outputs(name: string): Record<string, unknown> | undefined {
        return this.state.get(name)?.outputs;
    }
}

/** `up` that must succeed: throws its error, with the steps it made. */
export async function applied(run: Promise<RunResult>): Promise<Step[]> {
    const result = await run;
    if (result.error) throw result.error;
    return result.steps;
}

// For harnesses that drive the life cycle where they would drive the CLI (test/model/engine.ts): the
// kinds by the class names a program spells, runs shaped as a command's result, and the drift check.

/** The kind a program means by a class name ("Mailbox", "FolderSet", ...): that name, checked. */
export function kindOfClass(className: string): ResourceKind {
    const kind = kindNamed(className);
    if (kind === undefined) throw new Error(`no resource kind has the class ${JSON.stringify(className)}`);
    return kind.name;
}

/** The class name of a kind, as a program spells it. */
export function classOf(kind: ResourceKind): string {
    return kindOf(kind).name;
}

/** A run as a command's result (test/harness/pulumi.ts): exit code, what it printed, how long it took. */
export interface RunOutput {
    /** 0 when the run succeeded, 1 when it stopped at an error. */
    code: number;
    /** The steps made, one a line (`create m1`), then the error (`error: ...`). */
    output: string;
    durationMs: number;
}

/** Runs `run` (a LifeCycle run) and shapes its result as a command's. */
export async function asCommand(run: () => Promise<RunResult>): Promise<RunOutput> {
    const started = Date.now();
    const { steps, error } = await run();
    const lines = steps.map((s) => `    ${s.op} ${s.name}`);
    if (error !== undefined) lines.push(`    error: ${String(error?.message ?? error)}`);
    return { code: error === undefined ? 0 : 1, output: lines.join("\n"), durationMs: Date.now() - started };
}

/**
 * `pulumi preview --refresh`: refreshes, then previews `program` against what the refresh read; the
 * state is left as it was (a preview writes nothing). A resource the refresh forgets (gone from the
 * server) is a step (`forget`), as it is a change to the CLI.
 */
export async function previewRefreshed(stack: LifeCycle, program: readonly Declared[]): Promise<RunResult> {
    const saved = [...stack.state].map(([name, r]) => [name, structuredClone(r)] as const);
    try {
        const refresh = await stack.refresh();
        const forgotten = refresh.steps.filter((s) => s.op === "forget");
        if (refresh.error !== undefined) return { steps: forgotten, error: refresh.error };
        const preview = await stack.preview(program);
        return { ...preview, steps: [...forgotten, ...preview.steps] };
    } finally {
        stack.state.clear();
        for (const [name, r] of saved) stack.state.set(name, r);
    }
}
