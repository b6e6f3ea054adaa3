// Running `up` of the model's program: under a fault (connections dropped before or after a command,
// exit 75, a server stopped in the middle), then once more without one, with the checks each `up`
// calls for, or refused as a step expects (and then it must have changed nothing). Every step that
// edits the program ends here, so the invariants are checked the same way whatever the step did.
import { FaultRule } from "../harness/fault-proxy";
import { sleep } from "../harness/waits";
import { ALICE, MAILBOX_SLOTS, ServerRef, account } from "./universe";
import { Extra, clone, resources } from "./program";
import { SieveSim, predictSieve } from "./sieve";
import { Model, Real } from "./model";
import { expectedWorld, readWorld, worldDiff } from "./world";
import { checkConverged, checkSafety, onServer } from "./checks";

/** A fault applied to one `up`, on one server. */
export type Fault =
    | { kind: "none" }
    | { kind: "proxy"; server: ServerRef; rules: FaultRule[] }
    | { kind: "stop"; server: ServerRef; afterMs: number; forMs: number };

/** Remembers, before an `up`, the GUIDs of folders the program declares with forceDestroy. */
async function noteForce(model: Model, real: Real): Promise<void> {
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        if (!m?.forceDestroy) continue;
        // The folder as applied (it may be renamed, moved or replaced by this up), and as declared.
        for (const decl of [model.applied.mailboxes[slot], m]) {
            if (!decl) continue;
            const status = await onServer(real, decl.server, account(decl.user), decl.folder);
            if (status) model.forceEver.add(status.guid);
        }
    }
    const set = model.program.set;
    if (set?.forceDestroy) {
        for (const [server, folders] of [
            [model.applied.set?.server, model.applied.set?.folders ?? []],
            [set.server, set.folders],
        ] as const) {
            if (!server) continue;
            for (const f of folders) {
                const status = await onServer(real, server, ALICE, f.name);
                if (status) model.forceEver.add(status.guid);
            }
        }
    }
}

interface UpOptions {
    /** `pulumi up --refresh`. */
    refresh?: boolean;
    /** A resource declared beside the program's (a duplicate). */
    extra?: Extra;
}

/** Runs `up` of the model's program under `fault`; returns its result. */
export async function up(model: Model, real: Real, fault: Fault, options: UpOptions = {}) {
    const program = resources(model.program, options.extra);
    await noteForce(model, real);
    const run = () => real.engine.up(program, { refresh: options.refresh });
    if (fault.kind === "none") return run();
    if (fault.kind === "proxy") {
        const proxy = real.proxies[fault.server];
        proxy.setRules(fault.rules);
        try {
            return await run();
        } finally {
            proxy.setRules([]);
        }
    }
    const running = run();
    await sleep(fault.afterMs);
    await real.sandboxes[fault.server].stopServer();
    await sleep(fault.forMs);
    await real.sandboxes[fault.server].startServer();
    return running;
}

interface ApplyOptions extends UpOptions {
    /** What the fault-free `up` must fail with: the program itself is refused. */
    refusal?: RegExp;
    /**
     * After the fault-free `up`, refresh and `up` again: that `up` removed a resource that had been
     * applied with the target of another (a duplicate), which undid that one's target.
     */
    repair?: boolean;
}

/**
 * Applies the model's program under `fault`, then (if there was a fault) once more without one, and
 * checks the invariants. With `refusal`, the fault-free `up` must fail so and change nothing at all,
 * and the state must still be usable (refresh works).
 */
export async function apply(
    model: Model,
    real: Real,
    fault: Fault,
    what: string,
    options: ApplyOptions = {},
) {
    real.log(`${what}; fault ${JSON.stringify(fault)}`);
    const prediction = predictSieve(model.applied, model.program, model.sieve);
    if (!options.refusal && !prediction.ok)
        throw new Error(`${what}: the model predicts the refusal of a SieveScript (${prediction.other})`);
    const sims = [model.sieve, ...(prediction.ok ? prediction.outcomes : [])];
    if (fault.kind !== "none") {
        const faulty = await up(model, real, fault, options);
        real.log(`  faulty up exit ${faulty.code}`);
        await checkSafety(model, real, `${what}, after the faulty up`, sims, true);
    }
    const started = Date.now();
    const result = await up(model, real, { kind: "none" }, options);
    real.log(`  up exit ${result.code} (${result.durationMs} ms)`);
    if (options.refusal) {
        await checkSafety(model, real, `${what}, after the refused up`, sims, false);
        if (result.code === 0)
            throw new Error(`${what}: up succeeded but must be refused (${options.refusal})`);
        if (!options.refusal.test(result.output))
            throw new Error(
                `${what}: up failed, but not with ${options.refusal}:\n${result.output.slice(-3000)}`,
            );
        const diff = worldDiff(expectedWorld(model, model.applied, model.sieve), await readWorld(real));
        if (diff.length > 0)
            throw new Error(`${what}: the refused up changed the servers:\n${diff.join("\n")}`);
        const refresh = await real.engine.refresh();
        if (refresh.code !== 0)
            throw new Error(`${what}: refresh after the refusal failed:\n${refresh.output.slice(-3000)}`);
        return;
    }
    if (result.code !== 0) throw new Error(`${what}: fault-free up failed:\n${result.output.slice(-4000)}`);
    if (options.repair) {
        real.log(`  repair: refresh and up again`);
        const refresh = await real.engine.refresh();
        if (refresh.code !== 0) throw new Error(`${what}: refresh failed:\n${refresh.output.slice(-3000)}`);
        const again = await up(model, real, { kind: "none" });
        if (again.code !== 0)
            throw new Error(`${what}: the up after refresh failed:\n${again.output.slice(-4000)}`);
    }
    model.applied = clone(model.program);
    await checkSafety(model, real, `${what}, after the fault-free up`, sims, false);
    await checkConverged(model, real, what, (prediction as { outcomes: SieveSim[] }).outcomes);
    real.log(`  converged and checked (${Date.now() - started} ms)`);
}
