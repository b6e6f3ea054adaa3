// The Sieve simulation: which scripts, with which text and which one active, the model expects on
// each account after an `up`, following what provider/handlers/sieve.ts promises (never take over
// another's active script without adopt; restore the script an adopting SieveScript replaced when it
// goes). It is its own module because it is the one part of the expected world that depends on the
// order the engine runs operations in: it predicts every outcome those orders allow, or the refusal.
import { SIEVE_SLOTS, SieveSlot, literal, whereOf } from "./universe";
import { Program, SieveDecl, clone, setSlot } from "./program";

/** One account's Sieve scripts as the model expects them on its server: text by name, and the active one. */
interface ScriptsOf {
    scripts: Record<string, string>;
    active?: string;
}
/**
 * The Sieve scripts the model expects on the servers (the program's and everyone else's), by account,
 * and the script each adopting SieveScript recorded as replaced (made active again when it goes).
 */
export interface SieveSim {
    owners: Record<string, ScriptsOf>;
    replaced: Partial<Record<SieveSlot, string>>;
}

/** Why the provider refuses a SieveScript before changing anything: the active script is another's. */
interface SieveRefusal {
    /** The user's active script it would deactivate (or `exists:<name>`: the name is taken). */
    other: string;
    /** True when nothing was changed before the refusal (else it came after a replace's delete). */
    clean: boolean;
}
type SievePrediction = { ok: true; outcomes: SieveSim[] } | ({ ok: false } & SieveRefusal);

export function ownerScripts(sim: SieveSim, where: string): ScriptsOf {
    return (sim.owners[where] ??= { scripts: {} });
}

/** SieveScript create (provider/handlers/sieve.ts): refused over another's active script without adopt. */
function sieveCreate(sim: SieveSim, slot: SieveSlot, d: SieveDecl, clean: boolean): SieveRefusal | undefined {
    const o = ownerScripts(sim, whereOf(d));
    if (d.name in o.scripts && !d.adopt) return { other: `exists:${d.name}`, clean };
    const other = d.active && o.active !== undefined && o.active !== d.name ? o.active : undefined;
    if (other !== undefined && !d.adopt) return { other, clean };
    o.scripts[d.name] = d.script;
    if (d.active) o.active = d.name;
    else if (o.active === d.name) o.active = undefined;
    setSlot(sim.replaced, slot, other);
    return undefined;
}

/** SieveScript update: rename in place, store the text, activate or deactivate only its own script. */
function sieveUpdate(sim: SieveSim, slot: SieveSlot, old: SieveDecl, d: SieveDecl): SieveRefusal | undefined {
    const o = ownerScripts(sim, whereOf(d));
    const other =
        d.active && o.active !== undefined && o.active !== old.name && o.active !== d.name
            ? o.active
            : undefined;
    if (other !== undefined && !d.adopt) return { other, clean: true };
    if (other !== undefined) sim.replaced[slot] = other;
    const own = old.name in o.scripts;
    const activeNow = own && o.active === old.name;
    if (old.name !== d.name && own) {
        if (d.name in o.scripts) return { other: `exists:${d.name}`, clean: true };
        o.scripts[d.name] = o.scripts[old.name] as string;
        delete o.scripts[old.name];
        if (o.active === old.name) o.active = d.name;
    }
    if (old.script !== d.script || !own) {
        o.scripts[d.name] = d.script;
        if (d.active) o.active = d.name;
    } else if (d.active && !activeNow) o.active = d.name;
    if (!d.active && activeNow) o.active = undefined;
    return undefined;
}

/** SieveScript delete: its script goes; the script it replaced is made active if none is and it is there. */
function sieveDelete(sim: SieveSim, slot: SieveSlot, d: SieveDecl): void {
    const o = ownerScripts(sim, whereOf(d));
    delete o.scripts[d.name];
    if (o.active === d.name) o.active = undefined;
    const replaced = sim.replaced[slot];
    delete sim.replaced[slot];
    if (replaced !== undefined && o.active === undefined && replaced in o.scripts) o.active = replaced;
}

function sieveTransition(
    sim: SieveSim,
    slot: SieveSlot,
    old: SieveDecl | undefined,
    d: SieveDecl | undefined,
): SieveRefusal | undefined {
    if (!old) return d ? sieveCreate(sim, slot, d, true) : undefined;
    if (!d) {
        sieveDelete(sim, slot, old);
        return undefined;
    }
    // Another user (any spelling) or server replaces the script, the old one deleted first.
    if (old.server !== d.server || old.user !== d.user) {
        sieveDelete(sim, slot, old);
        return sieveCreate(sim, slot, d, false);
    }
    return sieveUpdate(sim, slot, old, d);
}

function permutations<T>(items: readonly T[]): T[][] {
    if (items.length <= 1) return [[...items]];
    return items.flatMap((item, i) =>
        permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
    );
}

/**
 * The Sieve scripts after an `up` that takes the servers from `applied` to `program`: every outcome
 * the order of the SieveScripts' operations allows (several only when several change at once, as
 * in the finish, where they are all deleted), or the refusal the provider answers.
 */
export function predictSieve(applied: Program, program: Program, sim: SieveSim): SievePrediction {
    const changed = SIEVE_SLOTS.filter(
        (s) => JSON.stringify(applied.sieves[s]) !== JSON.stringify(program.sieves[s]),
    );
    const outcomes: SieveSim[] = [];
    for (const order of permutations(changed)) {
        const next = clone(sim);
        for (const slot of order) {
            const refusal = sieveTransition(next, slot, applied.sieves[slot], program.sieves[slot]);
            if (refusal) return { ok: false, ...refusal };
        }
        if (!outcomes.some((o) => JSON.stringify(o) === JSON.stringify(next))) outcomes.push(next);
    }
    return { ok: true, outcomes };
}

/** The refusal of an active SieveScript over `other`, the active script someone else stored. */
export const activeRefusal = (other: string) =>
    new RegExp(
        `the user's active Sieve script is ${literal(JSON.stringify(other))}, which this SieveScript did not store`,
    );
