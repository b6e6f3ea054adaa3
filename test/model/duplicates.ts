// Two resources of the program with one target (a duplicate of each kind the program can hold, with a
// bystander edit beside it sometimes): `up` must be refused naming both, and the servers may show only
// what the claim refusal allows. Apart from the other steps because what it accepts depends on the
// engine: which of the two is checked first, and whether the duplicate is refused in check or by its
// own create, is the engine's choice.
import { canonicalName } from "../../provider/names";
import { ResourceSpec } from "../harness/pulumi";
import {
    ACL_SLOTS,
    MAILBOX_SLOTS,
    META_SLOTS,
    META_VALUES,
    RIGHTS,
    SIEVE_NAMES,
    SIEVE_SLOTS,
    SIEVE_TEXTS,
    SUB_SLOTS,
    ServerRef,
    UserRef,
    account,
    at,
    literal,
    login,
    otherOf,
    respell,
    serverInput,
    whereOf,
} from "./universe";
import { AclDecl, MetaDecl, Program, SetFolder, SieveDecl } from "./program";
import { SieveSim, predictSieve } from "./sieve";
import { Model, Real } from "./model";
import { World, expectedWorld, readWorld, scriptFact, worldDiff } from "./world";
import { checkSafety } from "./checks";
import { apply, up } from "./apply";
import { Step } from "./steps";

/** The claim refusal (provider/claims.ts): `the <kind> "<name>" declares <what>, which the <kind> "<name>" ...`. */
const CLAIM =
    /the (\w+) "([^"]+)" declares (.+?), which the (\w+) "([^"]+)" of this program declares too; one resource only may manage it/g;
const DUP = "dup";
/** The resource kind of a program resource, by its name (its slot). */
const kindOfResource = (name: string): string =>
    name === "set"
        ? "FolderSet"
        : ({ m: "Mailbox", s: "SieveScript", a: "MailboxAcl", d: "MailboxMetadata", u: "Subscription" }[
              name[0] ?? ""
          ] ?? "?");

/** A duplicate target: the resource to add, the one it duplicates, and what its declaration would do. */
interface DupPlan {
    kind: string;
    /** The program's resource with the same target. */
    original: string;
    spec: ResourceSpec;
    /** The target as the refusal names it. */
    what: RegExp;
    /** The world with the duplicate's declaration applied to the target (the duplicate checked first). */
    overlay: (world: World) => void;
}

/** Every duplicate target the program allows now, in a fixed order. */
function duplicates(model: Readonly<Model>, variant: number): DupPlan[] {
    const program = model.program;
    const plans: DupPlan[] = [];
    for (const slot of SIEVE_SLOTS) {
        const d = program.sieves[slot];
        if (!d) continue;
        const where = whereOf(d);
        const text = otherOf(SIEVE_TEXTS, d.script, variant);
        const args = { user: login(respell(d.user, variant)), adopt: false, ...serverInput(d.server) };
        plans.push({
            kind: "two SieveScripts of one name",
            original: slot,
            spec: {
                kind: "SieveScript",
                name: DUP,
                args: { ...args, name: d.name, script: text, active: false },
            },
            what: new RegExp(`the Sieve script ${literal(JSON.stringify(d.name))} of user`),
            overlay: (w) => w.set(`sieve|${where}|${d.name}`, scriptFact(false, text)),
        });
        const used = new Set([
            ...Object.keys(model.sieve.owners[where]?.scripts ?? {}),
            ...SIEVE_SLOTS.flatMap((s) => (program.sieves[s] ? [program.sieves[s].name] : [])),
        ]);
        const name = [...SIEVE_NAMES, "extra"].find((n) => !used.has(n));
        if (d.active && name !== undefined)
            plans.push({
                kind: "two active SieveScripts of one user",
                original: slot,
                spec: { kind: "SieveScript", name: DUP, args: { ...args, name, script: text, active: true } },
                what: /the active Sieve script of user/,
                overlay: (w) => {
                    for (const [key, value] of w)
                        if (key.startsWith(`sieve|${where}|`))
                            w.set(key, value.replace(/^active /, "inactive "));
                    w.set(`sieve|${where}|${name}`, scriptFact(true, text));
                },
            });
    }
    for (const slot of ACL_SLOTS) {
        const d = program.acls[slot];
        if (!d) continue;
        const rights = otherOf(RIGHTS, d.rights, variant);
        const mailbox = canonicalName(d.mailbox, "/");
        plans.push({
            kind: "two MailboxAcls of one entry",
            original: slot,
            spec: {
                kind: "MailboxAcl",
                name: DUP,
                args: {
                    user: login(respell(d.user, variant)),
                    mailbox: d.mailbox,
                    identifier: d.identifier,
                    rights,
                    ...serverInput(d.server),
                },
            },
            what: new RegExp(
                `the ACL entry of ${literal(JSON.stringify(d.identifier))} on the folder ${literal(JSON.stringify(mailbox))}`,
            ),
            overlay: (w) => w.set(`acl|${whereOf(d)}|${mailbox}|${d.identifier}`, rights.join(" ")),
        });
    }
    for (const slot of META_SLOTS) {
        const d = program.metas[slot];
        if (!d) continue;
        const value = otherOf(META_VALUES, d.value, variant);
        plans.push({
            kind: "two MailboxMetadata of one entry",
            original: slot,
            spec: {
                kind: "MailboxMetadata",
                name: DUP,
                args: {
                    user: login(respell(d.user, variant)),
                    mailbox: d.mailbox,
                    key: d.key,
                    value,
                    ...serverInput(d.server),
                },
            },
            what: new RegExp(`the METADATA entry ${literal(JSON.stringify(d.key))} of`),
            overlay: (w) => w.set(`meta|${whereOf(d)}|${d.mailbox}|${d.key}`, value),
        });
    }
    const subscription = (server: ServerRef, user: UserRef, mailbox: string) => ({
        spec: {
            kind: "Subscription" as const,
            name: DUP,
            args: { user: login(respell(user, variant)), mailbox, ...serverInput(server) },
        },
        what: new RegExp(
            `the subscription of user "[^"]+" to ${literal(JSON.stringify(canonicalName(mailbox, "/")))}`,
        ),
        overlay: (w: World) => w.set(`sub|${at(server, account(user))}|${canonicalName(mailbox, "/")}`, ""),
    });
    for (const slot of SUB_SLOTS) {
        const d = program.subs[slot];
        if (d)
            plans.push({
                kind: "two Subscriptions of one name",
                original: slot,
                ...subscription(d.server, d.user, d.mailbox),
            });
    }
    for (const slot of MAILBOX_SLOTS) {
        const m = program.mailboxes[slot];
        if (!m) continue;
        plans.push({
            kind: "a Subscription of a Mailbox's folder",
            original: slot,
            ...subscription(m.server, m.user, m.folder),
        });
        const folder = canonicalName(m.folder, "/");
        plans.push({
            kind: "two Mailboxes of one folder",
            original: slot,
            spec: {
                kind: "Mailbox",
                name: DUP,
                args: {
                    user: login(respell(m.user, variant)),
                    name: m.folder,
                    subscribed: !m.subscribed,
                    ...serverInput(m.server),
                },
            },
            what: new RegExp(`the folder ${literal(JSON.stringify(folder))} of user`),
            overlay: (w) => {
                const key = `sub|${whereOf(m)}|${folder}`;
                if (m.subscribed) w.delete(key);
                else w.set(key, "");
            },
        });
    }
    const set = program.set;
    if (set && set.folders.length > 0) {
        const f = set.folders[variant % set.folders.length] as SetFolder;
        plans.push({
            kind: "a Mailbox of a FolderSet folder",
            original: "set",
            spec: {
                kind: "Mailbox",
                name: DUP,
                args: {
                    user: login(respell("alice", variant)),
                    name: f.name,
                    subscribed: f.subscribed,
                    ...serverInput(set.server),
                },
            },
            what: new RegExp(`the folder ${literal(JSON.stringify(f.name))} of user`),
            overlay: () => undefined,
        });
    }
    return plans;
}

/** An edit of another resource beside the duplicate, which the refused `up` may or may not apply. */
function bystanders(
    model: Readonly<Model>,
    original: string,
    pick: number,
): Array<{ slot: string; edit: (p: Program) => void }> {
    const out: Array<{ slot: string; edit: (p: Program) => void }> = [];
    for (const slot of ACL_SLOTS)
        if (slot !== original && model.program.acls[slot])
            out.push({
                slot,
                edit: (p) => ((p.acls[slot] as AclDecl).rights = otherOf(RIGHTS, p.acls[slot]!.rights, pick)),
            });
    for (const slot of META_SLOTS)
        if (slot !== original && model.program.metas[slot])
            out.push({
                slot,
                edit: (p) =>
                    ((p.metas[slot] as MetaDecl).value = otherOf(META_VALUES, p.metas[slot]!.value, pick)),
            });
    for (const slot of SIEVE_SLOTS)
        if (slot !== original && model.program.sieves[slot])
            out.push({
                slot,
                edit: (p) =>
                    ((p.sieves[slot] as SieveDecl).script = otherOf(
                        SIEVE_TEXTS,
                        p.sieves[slot]!.script,
                        pick,
                    )),
            });
    return out;
}

/**
 * Two resources of the program with one target: a duplicate ("dup") of one the program has, declared
 * before or after it, and sometimes an edit of a third resource (a bystander). The `up` must fail with
 * the claim refusal naming both (provider/claims.ts), or with the duplicate's own create refusing the
 * target before the original is checked (see refusedByOwnCreate). What the claim refusal guarantees,
 * and what is checked: check() runs for each resource as the engine registers it, and the engine goes on applying the
 * resources that passed while later ones are checked; so of the two, the one checked second is
 * refused and sends nothing, while the one checked first (the "first claimant", named second in the
 * message) may have been applied, and so may the bystander. The servers must then hold exactly what
 * they held before, except that the target may be as the first claimant declares it and the
 * bystander's as its new declaration: nothing else of the program's, and nothing undeclared, changes.
 * (With the values the model gives the duplicate, the provider's own create refuses all but a
 * Subscription: a Subscription checked first subscribes.) The refused resource is never recorded in
 * the state; the duplicate is, only if it was the first claimant. Then the program drops the
 * duplicate and must converge; if the duplicate had been applied, its removal undoes what it shared
 * with the original (a subscription), which a refresh shows and the next `up` puts back.
 */
export class Duplicate extends Step {
    plan: DupPlan | undefined;
    bystander: { slot: string; edit: (p: Program) => void } | undefined;
    constructor(
        readonly pick: number,
        readonly variant: number,
        readonly dupFirst: boolean,
        readonly withBystander: number | undefined,
    ) {
        super({ kind: "none" });
    }
    describe() {
        return `Duplicate#${this.pick}(${this.variant}, ${this.dupFirst ? "first" : "last"}, bystander ${String(this.withBystander)})`;
    }
    check(model: Readonly<Model>) {
        const plans = duplicates(model, this.variant);
        if (plans.length === 0) return false;
        this.plan = plans[this.pick % plans.length];
        const others =
            this.withBystander === undefined ? [] : bystanders(model, this.plan!.original, this.variant);
        this.bystander = others.length > 0 ? others[(this.withBystander ?? 0) % others.length] : undefined;
        return true;
    }
    async run(model: Model, real: Real) {
        const plan = this.plan as DupPlan;
        const what = `${this.toString()}: ${plan.kind}, ${plan.original} and ${DUP} (${JSON.stringify(plan.spec.args)})${this.bystander ? `, bystander ${this.bystander.slot}` : ""}`;
        real.log(what);
        const before = expectedWorld(model, model.applied, model.sieve);
        this.bystander?.edit(model.program);
        const prediction = predictSieve(model.applied, model.program, model.sieve);
        if (!prediction.ok) throw new Error(`${what}: the model predicts the bystander edit refused`);
        const edited = expectedWorld(model, model.program, prediction.outcomes[0] as SieveSim);
        const result = await up(
            model,
            real,
            { kind: "none" },
            {
                extra: { spec: plan.spec, before: this.dupFirst ? plan.original : undefined },
            },
        );
        await checkSafety(model, real, `${what}, after the up`, [model.sieve, ...prediction.outcomes], true);
        if (result.code === 0) throw new Error(`${what}: up succeeded but must be refused`);
        const named = [...result.output.matchAll(CLAIM)].find(
            (m) => [m[2], m[5]].sort().join() === [DUP, plan.original].sort().join(),
        );
        if (!named && !refusedByOwnCreate(plan, result.output))
            throw new Error(
                `${what}: up failed, but neither with the refusal naming ${DUP} and ${plan.original} nor with ${DUP}'s own refusal of a target it did not make:\n${result.output.slice(-3000)}`,
            );
        if (named && !plan.what.test(named[3] as string))
            throw new Error(`${what}: the refusal names another target: ${named[0]}`);
        const kindOf = (name: string) => (name === DUP ? plan.spec.kind : kindOfResource(name));
        if (named && (named[1] !== kindOf(named[2] as string) || named[4] !== kindOf(named[5] as string)))
            throw new Error(`${what}: the refusal names the wrong kinds: ${named[0]}`);
        const first = named ? (named[5] as string) : DUP;
        // The duplicate may have been applied only when it passed its check and the original was refused.
        const dupApplied = named !== undefined && first === DUP;
        const worlds = [before, edited];
        if (dupApplied)
            for (const w of [before, edited]) {
                const overlaid = new Map(w);
                plan.overlay(overlaid);
                worlds.push(overlaid);
            }
        const world = await readWorld(real);
        if (!worlds.some((w) => worldDiff(w, world).length === 0))
            throw new Error(
                `${what}: after the refusal (${first} checked first) the servers hold what neither resource declares, or other changes:\n${worldDiff(before, world).join("\n")}`,
            );
        const recorded = (await real.engine.stateResources()).some((r) => r.urn.endsWith(`::${DUP}`));
        if (recorded && !dupApplied)
            throw new Error(`${what}: the refused duplicate was recorded in the state`);
        real.log(
            named
                ? `  refused: ${named[2]}; ${first} checked first${recorded ? ", applied and recorded" : ""}`
                : `  ${DUP} checked first, refused by its own create; ${plan.original} never checked`,
        );
        await apply(model, real, { kind: "none" }, `${what}: without the duplicate`, { repair: recorded });
    }
}

/**
 * Whether `output` holds the duplicate's own create refusing the original's target as one it did not
 * make (adopt advice): the other outcome of `up --skip-preview` (which the model runs). The engine
 * applies each resource as soon as it has checked it, so the duplicate, checked first, may be created
 * and refused before the original is checked; the engine then stops, and the claim refusal is never
 * reached. (`preview`, and `up` with its preview, check both before anything is applied:
 * test/lifecycle/one-target.test.ts.) Nothing of the duplicate's was then applied.
 */
function refusedByOwnCreate(plan: DupPlan, output: string): boolean {
    const header = `dovecot:${plan.spec.kind} (${DUP}):`;
    const at = output.indexOf(header);
    if (at < 0) return false;
    const rest = output.slice(at + header.length);
    const end = rest.search(/\n {0,2}\S/);
    const block = end < 0 ? rest : rest.slice(0, end);
    return /error: /.test(block) && /[Ss]et adopt: true/.test(block);
}
