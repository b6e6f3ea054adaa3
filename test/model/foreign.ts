// Someone else, with doveadm: a Sieve script of their own stored and activated (or deleted), an ACL or
// METADATA entry set, on an account the program uses; then `up --refresh`, which must leave it all as
// it is, or refuse an active SieveScript that would take over their script. A step of its own because
// it changes what nobody declares, which every later check must then expect.
import {
    ACL_MAILBOXES,
    FOREIGN_ACL_IDS,
    FOREIGN_META_TARGETS,
    FOREIGN_SIEVE_NAMES,
    FOREIGN_SIEVE_TEXTS,
    PROGRAM_OWNERS,
    RIGHTS,
    SIEVE_SLOTS,
    ServerRef,
    SieveSlot,
    at,
    whereOf,
} from "./universe";
import { SieveDecl } from "./program";
import { activeRefusal, ownerScripts, predictSieve } from "./sieve";
import { Model, Real } from "./model";
import { Fault, apply } from "./apply";
import { Picks, Step } from "./steps";

export type ForeignOp = "sieve-put" | "sieve-delete" | "acl" | "meta";

/**
 * Someone else, with doveadm, on an account the program uses: stores and activates a Sieve script of
 * their own, deletes one of theirs, sets an ACL entry or a METADATA entry. Then `up --refresh`: it
 * must leave all of it as it is, except that an active SieveScript of the program for that user,
 * which was deactivated, is refused (unless it has adopt: then it is made active again over theirs,
 * recording theirs as replaced); the step then adopts, makes it inactive, or has them withdraw theirs.
 */
export class Foreign extends Step {
    owner = PROGRAM_OWNERS[0] as { server: ServerRef; user: string };
    script = "";
    constructor(
        readonly op: ForeignOp,
        readonly p: Picks,
        fault: Fault,
    ) {
        super(fault);
    }
    describe() {
        return `Foreign.${this.op}(${JSON.stringify(this.p)})`;
    }
    check(model: Readonly<Model>) {
        if (this.op === "sieve-delete") {
            const theirs = model.undeclared.scripts.filter((s) => !s.canary);
            if (theirs.length === 0) return false;
            const s = theirs[this.p.pick % theirs.length]!;
            this.owner = { server: s.server, user: s.user };
            this.script = s.name;
            return true;
        }
        // Mostly where the program has an active script: the case that matters.
        const active = PROGRAM_OWNERS.filter((o) =>
            SIEVE_SLOTS.some((s) => {
                const d = model.program.sieves[s];
                return d !== undefined && d.active && whereOf(d) === at(o.server, o.user);
            }),
        );
        const owners = this.op === "sieve-put" && this.p.flag && active.length > 0 ? active : PROGRAM_OWNERS;
        this.owner = owners[this.p.pick % owners.length]!;
        return true;
    }
    private async withdraw(model: Model, real: Real, name: string) {
        const { server, user } = this.owner;
        await real.sandboxes[server].doveadm(["sieve", "delete", "-u", user, "-a", name]);
        const o = ownerScripts(model.sieve, at(server, user));
        delete o.scripts[name];
        if (o.active === name) o.active = undefined;
        model.undeclared.scripts = model.undeclared.scripts.filter(
            (s) => !(s.server === server && s.user === user && s.name === name),
        );
    }
    async run(model: Model, real: Real) {
        const { server, user } = this.owner;
        const s = real.sandboxes[server];
        const where = at(server, user);
        const u = model.undeclared;
        const p = this.p;
        let detail = "";
        switch (this.op) {
            case "sieve-put": {
                const name = FOREIGN_SIEVE_NAMES[p.a % FOREIGN_SIEVE_NAMES.length] as string;
                const text = FOREIGN_SIEVE_TEXTS[p.b % FOREIGN_SIEVE_TEXTS.length] as string;
                await s.doveadm(["sieve", "put", "-u", user, "-a", name], text);
                const o = ownerScripts(model.sieve, where);
                o.scripts[name] = text;
                o.active = name;
                if (!u.scripts.some((x) => x.server === server && x.user === user && x.name === name))
                    u.scripts.push({ server, user, name, canary: false });
                // The program's active script of that user is no longer active, as refresh records.
                for (const slot of SIEVE_SLOTS) {
                    const d = model.applied.sieves[slot];
                    if (d && whereOf(d) === where && d.active && d.name !== name) d.active = false;
                }
                this.script = name;
                detail = `${name} stored and activated`;
                break;
            }
            case "sieve-delete":
                await this.withdraw(model, real, this.script);
                detail = `${this.script} deleted`;
                break;
            case "acl": {
                const mailbox = ACL_MAILBOXES[p.a % ACL_MAILBOXES.length] as string;
                const id = FOREIGN_ACL_IDS[p.b % FOREIGN_ACL_IDS.length] as string;
                const rights = RIGHTS[p.b % RIGHTS.length] as string[];
                await s.doveadm(["acl", "set", "-u", user, mailbox, id, ...rights]);
                u.acls = u.acls.filter(
                    (a) => !(a.server === server && a.user === user && a.mailbox === mailbox && a.id === id),
                );
                u.acls.push({ server, user, mailbox, id, rights });
                detail = `${mailbox} ${id} ${rights.join(" ")}`;
                break;
            }
            case "meta": {
                const { mailbox, key } = FOREIGN_META_TARGETS[p.a % FOREIGN_META_TARGETS.length]!;
                const value = `theirs ${p.b}`;
                await s.doveadm([
                    "mailbox",
                    "metadata",
                    "set",
                    "-u",
                    user,
                    ...(mailbox === "" ? ["-s", ""] : [mailbox]),
                    key,
                    value,
                ]);
                u.metas = u.metas.filter(
                    (m) =>
                        !(m.server === server && m.user === user && m.mailbox === mailbox && m.key === key),
                );
                u.metas.push({ server, user, mailbox, key, value });
                detail = `${mailbox || "(user)"} ${key} = ${value}`;
                break;
            }
        }
        const what = `${this.toString()}: ${server} ${user}: ${detail}`;
        const prediction = predictSieve(model.applied, model.program, model.sieve);
        if (prediction.ok) return apply(model, real, this.fault, what, { refresh: true });
        await apply(model, real, { kind: "none" }, what, {
            refusal: activeRefusal(prediction.other),
            refresh: true,
        });
        const slot = SIEVE_SLOTS.find((sl) => {
            const d = model.program.sieves[sl];
            return d !== undefined && whereOf(d) === where && d.active;
        }) as SieveSlot;
        const how = (["adopt", "inactive", "withdraw"] as const)[p.resolve];
        if (how === "adopt") (model.program.sieves[slot] as SieveDecl).adopt = true;
        else if (how === "inactive") (model.program.sieves[slot] as SieveDecl).active = false;
        else await this.withdraw(model, real, this.script);
        await apply(model, real, this.fault, `${what}: ${how}`, { refresh: true });
    }
}
