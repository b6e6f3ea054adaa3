// The steps on SieveScripts, MailboxAcls, MailboxMetadata and Subscriptions: declare, remove or change
// one resource of a kind, never giving two resources one target (duplicates.ts does that on purpose).
// Apart from the Mailbox steps because these share one table-driven edit for four kinds, and a
// SieveScript's refusal over someone else's active script is resolved here.
import { canonicalName } from "../../provider/names";
import {
    ACL_IDS,
    ACL_MAILBOXES,
    ACL_SLOTS,
    META_SLOTS,
    META_TARGETS,
    META_VALUES,
    RIGHTS,
    SERVERS,
    SIEVE_NAMES,
    SIEVE_SLOTS,
    SIEVE_TEXTS,
    SUB_NAMES,
    SUB_SLOTS,
    SieveSlot,
    USERS_ON,
    fitUser,
    otherOf,
    otherServer,
    whereOf,
} from "./universe";
import { AclDecl, MetaDecl, Program, SieveDecl, SubDecl, clone, setSlot } from "./program";
import { activeRefusal, predictSieve } from "./sieve";
import { Model, Real } from "./model";
import { Fault, apply } from "./apply";
import { Picks, Step } from "./steps";

/** The table of a plugin resource kind in a program. */
export type PluginKind = "sieve" | "acl" | "meta" | "sub";
type AnyDecl = SieveDecl | AclDecl | MetaDecl | SubDecl;
const SLOTS: Record<PluginKind, readonly string[]> = {
    sieve: SIEVE_SLOTS,
    acl: ACL_SLOTS,
    meta: META_SLOTS,
    sub: SUB_SLOTS,
};
function tableOf(program: Program, kind: PluginKind): Partial<Record<string, AnyDecl>> {
    return kind === "sieve"
        ? program.sieves
        : kind === "acl"
          ? program.acls
          : kind === "meta"
            ? program.metas
            : program.subs;
}

/** What a declaration of a kind targets on its server: one resource of a program at most may declare it. */
function targetOf(kind: PluginKind, d: AnyDecl): string {
    const where = whereOf(d);
    if (kind === "sieve") return `${where}|${(d as SieveDecl).name}`;
    if (kind === "acl") return `${where}|${(d as AclDecl).mailbox}|${(d as AclDecl).identifier}`;
    if (kind === "meta") return `${where}|${(d as MetaDecl).mailbox}|${(d as MetaDecl).key}`;
    return `${where}|${canonicalName((d as SubDecl).mailbox, "/")}`;
}

/** Whether `d` in `slot` would share a target with another resource of the program (a duplicate). */
function clashes(program: Program, kind: PluginKind, slot: string, d: AnyDecl): boolean {
    const table = tableOf(program, kind);
    for (const other of SLOTS[kind]) {
        const o = table[other];
        if (other === slot || !o) continue;
        if (targetOf(kind, o) === targetOf(kind, d)) return true;
        if (
            kind === "sieve" &&
            (d as SieveDecl).active &&
            (o as SieveDecl).active &&
            whereOf(o) === whereOf(d)
        )
            return true;
    }
    return false;
}

export type PluginOp = "declare" | "remove" | "value" | "retarget" | "user" | "server" | "active" | "adopt";

/**
 * Declares, removes or changes one resource of a plugin kind: `value` changes what it sets (a script's
 * text, rights, a METADATA value), `retarget` what it is about (a script's name: a rename in place; an
 * ACL's identifier or mailbox, a METADATA entry, a subscribed name: a replacement), `user` its user
 * (another spelling or account), `server` its server; `active` and `adopt` toggle a SieveScript's.
 * A SieveScript made active over a script someone else made active is refused (before anything is
 * changed); the step then resolves it as `resolve` says: adopt, make it inactive, or give it up.
 */
export class PluginEdit extends Step {
    slot = "";
    next: AnyDecl | undefined;
    constructor(
        readonly kind: PluginKind,
        readonly op: PluginOp,
        readonly p: Picks,
        fault: Fault,
    ) {
        super(fault);
    }
    describe() {
        return `${this.kind}.${this.op}(${JSON.stringify(this.p)})`;
    }
    /** Every declaration this step could give its slot (`d`: the slot's now), before the program's rules. */
    private candidates(d: AnyDecl | undefined): AnyDecl[] {
        const p = this.p;
        if (this.op === "declare") {
            const out: AnyDecl[] = [];
            for (const server of SERVERS)
                for (const user of USERS_ON[server]) {
                    if (this.kind === "sieve")
                        for (const name of SIEVE_NAMES)
                            out.push({
                                server,
                                user,
                                name,
                                script: SIEVE_TEXTS[p.a % SIEVE_TEXTS.length] as string,
                                active: p.flag,
                                adopt: p.b % 4 === 3,
                            });
                    if (this.kind === "acl")
                        for (const mailbox of ACL_MAILBOXES)
                            for (const identifier of ACL_IDS)
                                out.push({
                                    server,
                                    user,
                                    mailbox,
                                    identifier,
                                    rights: RIGHTS[p.b % RIGHTS.length] as string[],
                                });
                    if (this.kind === "meta")
                        for (const target of META_TARGETS)
                            out.push({
                                server,
                                user,
                                ...target,
                                value: META_VALUES[p.a % META_VALUES.length] as string,
                            });
                    if (this.kind === "sub")
                        for (const mailbox of SUB_NAMES) out.push({ server, user, mailbox });
                }
            return out;
        }
        if (d === undefined) return [];
        switch (this.op) {
            case "value":
                if (this.kind === "sieve")
                    return [{ ...d, script: otherOf(SIEVE_TEXTS, (d as SieveDecl).script, p.a) }];
                if (this.kind === "acl")
                    return [{ ...d, rights: otherOf(RIGHTS, (d as AclDecl).rights, p.a) }];
                if (this.kind === "meta")
                    return [{ ...d, value: otherOf(META_VALUES, (d as MetaDecl).value, p.a) }];
                return [];
            case "retarget":
                if (this.kind === "sieve")
                    return SIEVE_NAMES.filter((n) => n !== (d as SieveDecl).name).map((name) => ({
                        ...d,
                        name,
                    }));
                if (this.kind === "acl") {
                    const a = d as AclDecl;
                    return [
                        ...ACL_IDS.filter((i) => i !== a.identifier).map((identifier) => ({
                            ...a,
                            identifier,
                        })),
                        ...ACL_MAILBOXES.filter((m) => m !== a.mailbox).map((mailbox) => ({ ...a, mailbox })),
                    ];
                }
                if (this.kind === "meta") {
                    const m = d as MetaDecl;
                    return META_TARGETS.filter((t) => t.mailbox !== m.mailbox || t.key !== m.key).map(
                        (t) => ({
                            ...m,
                            ...t,
                        }),
                    );
                }
                return SUB_NAMES.filter((n) => n !== (d as SubDecl).mailbox).map((mailbox) => ({
                    ...d,
                    mailbox,
                }));
            case "user":
                return USERS_ON[d.server].filter((u) => u !== d.user).map((user) => ({ ...d, user }));
            case "server": {
                const server = otherServer(d.server);
                return [{ ...d, server, user: fitUser(server, d.user) }];
            }
            case "active":
                return this.kind === "sieve" ? [{ ...d, active: !(d as SieveDecl).active }] : [];
            case "adopt":
                return this.kind === "sieve" ? [{ ...d, adopt: !(d as SieveDecl).adopt }] : [];
            default:
                return [];
        }
    }
    /**
     * Whether the program may give `slot` the declaration `next`: no duplicate target (see Duplicate
     * for those), and for a SieveScript, an `up` that succeeds or is refused before it changes
     * anything (never after a replacement's delete).
     */
    private fits(model: Readonly<Model>, next: AnyDecl | undefined): boolean {
        if (next && clashes(model.program, this.kind, this.slot, next)) return false;
        if (this.kind !== "sieve") return true;
        const program = clone(model.program);
        setSlot(program.sieves, this.slot as SieveSlot, next as SieveDecl | undefined);
        const prediction = predictSieve(model.applied, program, model.sieve);
        return prediction.ok || (prediction.clean && !prediction.other.startsWith("exists:"));
    }
    check(model: Readonly<Model>) {
        const table = tableOf(model.program, this.kind);
        const slots = SLOTS[this.kind].filter((s) => (this.op === "declare") === (table[s] === undefined));
        if (slots.length === 0) return false;
        this.slot = slots[this.p.pick % slots.length] as string;
        if (this.op === "remove") {
            this.next = undefined;
            return this.fits(model, undefined);
        }
        const fit = this.candidates(table[this.slot]).filter((d) => this.fits(model, d));
        if (fit.length === 0) return false;
        this.next = fit[(this.p.pick * 5 + this.p.a * 3 + this.p.b) % fit.length];
        return true;
    }
    async run(model: Model, real: Real) {
        const what = `${this.toString()}: ${this.kind} ${this.slot}`;
        const table = tableOf(model.program, this.kind);
        const before = clone(table[this.slot]);
        setSlot(table, this.slot, clone(this.next));
        const prediction = predictSieve(model.applied, model.program, model.sieve);
        if (prediction.ok) return apply(model, real, this.fault, what);
        await apply(model, real, this.fault, what, { refusal: activeRefusal(prediction.other) });
        const refused = model.program.sieves[this.slot as SieveSlot] as SieveDecl;
        const how = (["adopt", "inactive", "give up"] as const)[this.p.resolve];
        if (how === "adopt") refused.adopt = true;
        else if (how === "inactive") refused.active = false;
        else setSlot(table, this.slot, before);
        await apply(model, real, { kind: "none" }, `${what}: ${how}`);
    }
}
