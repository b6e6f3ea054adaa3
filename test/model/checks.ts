// The invariants checked after a step: safety (no mail lost without forceDestroy, canaries and
// everything nobody declares untouched), after every `up` whether it failed or not; and convergence
// (the servers and the state hold exactly what the program declares, and a refresh finds nothing to
// do), after a fault-free `up` that succeeded.
import { canonicalName } from "../../provider/names";
import { ALICE, BAD_NAME, MAILBOX_SLOTS, OWNERS, SIEVE_SLOTS, ServerRef, account, at } from "./universe";
import { clone } from "./program";
import { SieveSim } from "./sieve";
import { Model, Real } from "./model";
import {
    World,
    expectedWorld,
    inParallel,
    readFacts,
    readStatuses,
    readWorld,
    scriptFact,
    worldDiff,
} from "./world";

/** The GUID and messages of a folder, by name, as doveadm sees it. */
export async function onServer(real: Real, server: ServerRef, user: string, folder: string) {
    if (folder === BAD_NAME) return undefined; // doveadm refuses to even look it up
    return real.sandboxes[server].status(user, canonicalName(folder, "/"));
}

/**
 * No message lost unless forceDestroy was declared for its folder; canary folders untouched; and,
 * with `undeclared`, everything nobody declares is as it was: scripts (text; active state as in one
 * of `sims`, the model's expectations before and after the step), ACL and METADATA entries,
 * subscriptions.
 */
export async function checkSafety(
    model: Model,
    real: Real,
    when: string,
    sims: SieveSim[],
    undeclared: boolean,
): Promise<void> {
    const statuses = new Map<string, Array<{ name: string; guid: string; messages: number }>>();
    await inParallel(
        OWNERS.map(({ server, user }) => async () => {
            statuses.set(at(server, user), await readStatuses(real.sandboxes[server], user));
        }),
    );
    for (const canary of model.undeclared.folders) {
        const now = statuses.get(at(canary.server, canary.user))?.find((m) => m.name === canary.name);
        if (now?.guid !== canary.guid || now.messages !== canary.messages)
            throw new Error(
                `${when}: canary folder ${canary.server} ${canary.user} ${canary.name} changed: ${JSON.stringify(now)}`,
            );
    }
    for (const [guid, { server, user, count }] of model.delivered) {
        const found = statuses.get(at(server, user))?.find((m) => m.guid === guid);
        if (found && found.messages < count)
            throw new Error(
                `${when}: ${server} ${user} ${found.name} (${guid}) lost mail: ${found.messages} of ${count}`,
            );
        if (!found && !model.forceEver.has(guid))
            throw new Error(
                `${when}: ${server} ${user}'s folder ${guid} with ${count} messages is gone without forceDestroy`,
            );
        if (!found) model.delivered.delete(guid);
    }
    if (!undeclared) return;
    const allowed = new Map<string, Set<string>>();
    const u = model.undeclared;
    for (const s of u.subs) allowed.set(`sub|${at(s.server, s.user)}|${s.name}`, new Set([""]));
    for (const a of u.acls)
        allowed.set(`acl|${at(a.server, a.user)}|${a.mailbox}|${a.id}`, new Set([a.rights.join(" ")]));
    for (const m of u.metas)
        allowed.set(`meta|${at(m.server, m.user)}|${m.mailbox}|${m.key}`, new Set([m.value]));
    for (const s of u.scripts) {
        const where = at(s.server, s.user);
        const text = model.sieve.owners[where]?.scripts[s.name] as string;
        allowed.set(
            `sieve|${where}|${s.name}`,
            new Set(sims.map((sim) => scriptFact(sim.owners[where]?.active === s.name, text))),
        );
    }
    const world = await readFacts(real, [...allowed.keys()]);
    const problems: string[] = [];
    for (const [key, values] of allowed) {
        const value = world.get(key);
        if (value === undefined || !values.has(value))
            problems.push(`${key} is ${value ?? "missing"}, expected ${[...values].join(" or ")}`);
    }
    if (problems.length > 0)
        throw new Error(
            `${when}: what nobody declares changed:\n${problems.join("\n")}\n${real.engine.transcript(1)}`,
        );
}

/**
 * After a fault-free `up` that succeeded: both servers hold exactly what the program declares plus
 * what nobody declares (the scripts as in one of `outcomes`), the state agrees, and a preview after
 * a refresh finds nothing to do.
 */
export async function checkConverged(
    model: Model,
    real: Real,
    when: string,
    outcomes: SieveSim[],
): Promise<void> {
    const fail = (what: string) => {
        throw new Error(`${when}: ${what}\n${real.engine.transcript(2)}`);
    };
    const reading = Date.now();
    const world = await readWorld(real);
    real.log(`  read the servers (${Date.now() - reading} ms)`);
    const expected = outcomes.map((sim) => expectedWorld(model, model.program, sim));
    const index = expected.findIndex((w) => worldDiff(w, world).length === 0);
    if (index < 0)
        fail(
            `the servers do not hold what the program declares plus what nobody declares:\n${worldDiff(expected[0] as World, world).join("\n")}`,
        );
    model.sieve = clone(outcomes[index] as SieveSim);
    const state = await real.engine.stateResources();
    const recorded = (name: string) => state.find((r) => r.urn.endsWith(`::${name}`));
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        const resource = recorded(slot);
        if (!m) {
            if (resource) fail(`${slot} is still in the state`);
            continue;
        }
        const status = await onServer(real, m.server, account(m.user), m.folder);
        if (resource?.outputs?.guid !== status?.guid)
            fail(
                `${slot}: state GUID ${String(resource?.outputs?.guid)} is not the server's ${status?.guid}`,
            );
    }
    const set = recorded("set");
    if (model.program.set) {
        const recordedFolders = (set?.outputs?.mailboxes ?? []) as Array<{ name: string; guid: string }>;
        const names = recordedFolders.map((m) => m.name).sort();
        const wanted = model.program.set.folders.map((f) => f.name).sort();
        if (JSON.stringify(names) !== JSON.stringify(wanted))
            fail(`set records ${names.join(",")}, declared ${wanted.join(",")}`);
        for (const m of recordedFolders)
            if ((await real.sandboxes[model.program.set.server].status(ALICE, m.name))?.guid !== m.guid)
                fail(`set: ${m.name} has another GUID`);
    } else if (set) fail("the set is still in the state");
    for (const slot of SIEVE_SLOTS) {
        const d = model.program.sieves[slot];
        const outputs = recorded(slot)?.outputs;
        if (!d) {
            if (outputs) fail(`${slot} is still in the state`);
            continue;
        }
        if (outputs?.name !== d.name || outputs?.active !== d.active || outputs?.script !== d.script)
            fail(`${slot}: the state records ${JSON.stringify(outputs)}, declared ${JSON.stringify(d)}`);
        if (outputs?.replacedActive !== model.sieve.replaced[slot])
            fail(
                `${slot}: the state records the replaced script ${String(outputs?.replacedActive)}, the model ${String(model.sieve.replaced[slot])}`,
            );
    }
    // Refresh works, reads back every resource as applied, and the program then has nothing to do.
    const preview = await real.engine.previewNoChanges();
    if (preview.code !== 0)
        fail(`preview --refresh --expect-no-changes failed:\n${preview.output.slice(-3000)}`);
    real.log(`  preview --refresh ${preview.durationMs} ms`);
}
