// The steps on Mailboxes and the FolderSet (declare, remove, rename, refused names, flags, another
// user or server, adopting Legacy, delivering mail, FolderSet edits), and the base classes every step
// shares. A step is chosen against the model it runs on (`check` resolves its slot and names, so few
// generated steps are wasted), edits the program or the servers, and applies it (apply.ts).
import fc from "fast-check";
import { canonicalName } from "../../provider/names";
import {
    ALICE,
    BAD_NAME,
    LEGACY,
    MAILBOX_NAMES,
    MAILBOX_SLOTS,
    MailboxSlot,
    ServerRef,
    USERS_ON,
    UserRef,
    account,
    fitUser,
    otherServer,
} from "./universe";
import { MailboxDecl, SetDecl, SetFolder, clone, setSlot, taken } from "./program";
import { Model, Real } from "./model";
import { onServer } from "./checks";
import { Fault, apply } from "./apply";

/** Random choices a step resolves against the model it runs on. */
export interface Picks {
    pick: number;
    a: number;
    b: number;
    flag: boolean;
    /** How a refused SieveScript is resolved: with adopt, made inactive, or given up (or the other script withdrawn). */
    resolve: 0 | 1 | 2;
}

/** A step: edit the program (or the server), apply it with a fault, check. */
export abstract class Step implements fc.AsyncCommand<Model, Real> {
    constructor(readonly fault: Fault) {}
    abstract check(model: Readonly<Model>): boolean;
    abstract run(model: Model, real: Real): Promise<void>;
    abstract describe(): string;
    toString(): string {
        return `${this.describe()}${this.fault.kind === "none" ? "" : ` [${JSON.stringify(this.fault)}]`}`;
    }
}

/**
 * The kind of a step, read off its description (`Step.toString`): the class of step, and for plugin
 * and foreign steps what they do (`Declare`, `SetEdit`, `sieve.value`, `Foreign.meta`, `Duplicate`);
 * and the kind of fault it runs under, if any (`proxy`, `stop`). What a test says a seed reaches.
 */
export function kindOfStep(description: string): { step: string; fault?: string } {
    const step = /^[A-Za-z]+(?:\.[a-z-]+)?/.exec(description)?.[0] ?? description;
    const fault = / \[\{"kind":"(\w+)"/.exec(description)?.[1];
    return fault === undefined ? { step } : { step, fault };
}

/**
 * A step on one Mailbox slot, chosen when it is checked among the slots that fit (free ones to
 * declare, declared ones to edit, applied ones to break), so that few generated steps are wasted.
 */
abstract class SlotStep extends Step {
    /** The slot this step acts on, resolved by check() against the model it runs on. */
    slot: MailboxSlot = "m1";
    constructor(
        readonly pick: number,
        readonly which: "free" | "declared" | "applied",
        fault: Fault,
    ) {
        super(fault);
    }
    protected resolve(model: Readonly<Model>): boolean {
        const fits = MAILBOX_SLOTS.filter((slot) =>
            this.which === "free"
                ? !model.program.mailboxes[slot]
                : this.which === "declared"
                  ? model.program.mailboxes[slot] !== undefined
                  : model.program.mailboxes[slot] !== undefined &&
                    model.applied.mailboxes[slot] !== undefined,
        );
        if (fits.length === 0) return false;
        this.slot = fits[this.pick % fits.length] as MailboxSlot;
        return true;
    }
    abstract name(): string;
    describe() {
        return `${this.name()}#${this.pick}`;
    }
}

/** Whether a folder (by GUID) of `user` on `server` holds mail delivered by the model. */
function holdsMail(
    model: Readonly<Model>,
    server: ServerRef,
    user: string,
    guid: string | undefined,
): boolean {
    const d = guid === undefined ? undefined : model.delivered.get(guid);
    return d !== undefined && d.user === user && d.server === server;
}

/** The names in the pool that `user` has not declared on `server`, starting at `pick`. */
function freeName(model: Readonly<Model>, server: ServerRef, user: string, pick: number): string | undefined {
    const free = MAILBOX_NAMES.filter((n) => !taken(model.program, server, user, n));
    return free.length > 0 ? free[pick % free.length] : undefined;
}

export class Declare extends SlotStep {
    folder = "";
    decl: Omit<MailboxDecl, "folder">;
    constructor(
        pick: number,
        decl: Omit<MailboxDecl, "folder">,
        readonly folderPick: number,
        fault: Fault,
    ) {
        super(pick, "free", fault);
        this.decl = { ...decl, user: fitUser(decl.server, decl.user) };
    }
    name() {
        return `Declare(${JSON.stringify(this.decl)}, folder#${this.folderPick})`;
    }
    check(model: Readonly<Model>) {
        const folder = freeName(model, this.decl.server, account(this.decl.user), this.folderPick);
        if (!this.resolve(model) || folder === undefined) return false;
        this.folder = folder;
        return true;
    }
    async run(model: Model, real: Real) {
        model.program.mailboxes[this.slot] = { ...this.decl, folder: this.folder };
        await apply(model, real, this.fault, `${this.toString()}: ${this.slot} ${this.folder}`);
    }
}

/**
 * Applies a change of a Mailbox that deletes its applied folder (removed, or replaced on another
 * account or server): refused with the count, mail kept, while the folder holds mail without
 * forceDestroy; then the program puts it back.
 */
async function deletingChange(model: Model, real: Real, slot: MailboxSlot, fault: Fault, what: string) {
    const applied = model.applied.mailboxes[slot];
    const guid = applied
        ? (await onServer(real, applied.server, account(applied.user), applied.folder))?.guid
        : undefined;
    if (applied && holdsMail(model, applied.server, account(applied.user), guid) && !applied.forceDestroy) {
        await apply(model, real, fault, what, { refusal: /holds \d+ messages?; nothing was deleted/ });
        setSlot(model.program.mailboxes, slot, clone(applied));
        await apply(model, real, { kind: "none" }, `${what}: put back`);
        return;
    }
    await apply(model, real, fault, what);
}

export class Remove extends SlotStep {
    constructor(pick: number, fault: Fault) {
        super(pick, "declared", fault);
    }
    name() {
        return "Remove";
    }
    check(model: Readonly<Model>) {
        return this.resolve(model);
    }
    async run(model: Model, real: Real) {
        delete model.program.mailboxes[this.slot];
        await deletingChange(model, real, this.slot, this.fault, `${this.toString()}: ${this.slot}`);
    }
}

export class Rename extends SlotStep {
    folder = "";
    constructor(
        pick: number,
        readonly folderPick: number,
        fault: Fault,
    ) {
        super(pick, "declared", fault);
    }
    name() {
        return `Rename(folder#${this.folderPick})`;
    }
    check(model: Readonly<Model>) {
        if (!this.resolve(model)) return false;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        const folder = freeName(model, m.server, account(m.user), this.folderPick);
        if (folder === undefined) return false;
        this.folder = folder;
        return true;
    }
    async run(model: Model, real: Real) {
        (model.program.mailboxes[this.slot] as MailboxDecl).folder = this.folder;
        await apply(model, real, this.fault, `${this.toString()}: ${this.slot} to ${this.folder}`);
    }
}

/** A name the server refuses: the up fails clearly, the folder stays as it was, the program corrects it. */
export class RefusedName extends SlotStep {
    constructor(pick: number, fault: Fault) {
        super(pick, "applied", fault);
    }
    name() {
        return "RefusedName";
    }
    check(model: Readonly<Model>) {
        return this.resolve(model);
    }
    async run(model: Model, real: Real) {
        const what = `${this.toString()}: ${this.slot}`;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        const before = m.folder;
        m.folder = BAD_NAME;
        await apply(model, real, this.fault, what, { refusal: /rejected the mailbox name \(exit 64\)/ });
        m.folder = before;
        await apply(model, real, { kind: "none" }, `${what}: corrected`);
    }
}

export class Toggle extends SlotStep {
    constructor(
        pick: number,
        readonly field: "subscribed" | "forceDestroy",
        fault: Fault,
    ) {
        super(pick, "declared", fault);
    }
    name() {
        return `Toggle(${this.field})`;
    }
    check(model: Readonly<Model>) {
        return this.resolve(model);
    }
    async run(model: Model, real: Real) {
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        m[this.field] = !m[this.field];
        await apply(model, real, this.fault, `${this.toString()}: ${this.slot}`);
    }
}

/** Changes the user: to another spelling of the same account (nothing may be deleted), or to another account. */
export class ChangeUser extends SlotStep {
    constructor(
        pick: number,
        readonly user: UserRef,
        fault: Fault,
    ) {
        super(pick, "declared", fault);
    }
    name() {
        return `ChangeUser(${this.user})`;
    }
    check(model: Readonly<Model>) {
        if (!this.resolve(model)) return false;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        if (m.user === this.user || !USERS_ON[m.server].includes(this.user)) return false;
        return (
            account(m.user) === account(this.user) ||
            !taken(model.program, m.server, account(this.user), m.folder)
        );
    }
    async run(model: Model, real: Real) {
        const what = `${this.toString()}: ${this.slot}`;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        const applied = model.applied.mailboxes[this.slot];
        const sameAccount = account(m.user) === account(this.user);
        const guid = applied
            ? (await onServer(real, applied.server, account(applied.user), applied.folder))?.guid
            : undefined;
        m.user = this.user;
        if (!sameAccount) return deletingChange(model, real, this.slot, this.fault, what);
        await apply(model, real, this.fault, what);
        if (guid !== undefined && (await onServer(real, m.server, account(m.user), m.folder))?.guid !== guid)
            throw new Error(`${what}: a new spelling of the same user replaced the folder`);
    }
}

/** Moves a Mailbox to the other server: a new folder there, the old one deleted (never with mail unless forceDestroy). */
export class MoveMailbox extends SlotStep {
    constructor(pick: number, fault: Fault) {
        super(pick, "declared", fault);
    }
    name() {
        return "MoveMailbox";
    }
    check(model: Readonly<Model>) {
        if (!this.resolve(model)) return false;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        const server = otherServer(m.server);
        return !taken(model.program, server, account(fitUser(server, m.user)), m.folder);
    }
    async run(model: Model, real: Real) {
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        m.server = otherServer(m.server);
        m.user = fitUser(m.server, m.user);
        await deletingChange(
            model,
            real,
            this.slot,
            this.fault,
            `${this.toString()}: ${this.slot} to ${m.server}`,
        );
    }
}

/** Takes over Legacy (made by an admin, with mail): refused without adopt, taken over with it. */
export class Adopt extends SlotStep {
    constructor(pick: number, fault: Fault) {
        super(pick, "free", fault);
    }
    name() {
        return "Adopt";
    }
    check(model: Readonly<Model>) {
        return model.legacy && this.resolve(model);
    }
    async run(model: Model, real: Real) {
        const what = `${this.toString()}: ${this.slot}`;
        const before = await real.sandboxes.default.status(ALICE, LEGACY);
        model.program.mailboxes[this.slot] = {
            server: "default",
            user: "alice",
            folder: LEGACY,
            subscribed: true,
            forceDestroy: false,
            adopt: false,
        };
        await apply(model, real, { kind: "none" }, `${what}: without adopt`, {
            refusal: /already exists.*adopt: true/s,
        });
        (model.program.mailboxes[this.slot] as MailboxDecl).adopt = true;
        model.legacy = false;
        await apply(model, real, this.fault, `${what}: with adopt`);
        const after = await real.sandboxes.default.status(ALICE, LEGACY);
        if (after?.guid !== before?.guid || (after?.messages ?? 0) < (before?.messages ?? 0))
            throw new Error(`${what}: adopt changed Legacy: ${JSON.stringify([before, after])}`);
    }
}

/** Mail arrives in a folder the program applied (a Mailbox's, or the set's first). */
export class Deliver extends Step {
    target: MailboxSlot | "set" = "set";
    constructor(
        readonly pick: number,
        readonly count: number,
    ) {
        super({ kind: "none" });
    }
    describe() {
        return `Deliver#${this.pick}(${this.count})`;
    }
    check(model: Readonly<Model>) {
        const targets: Array<MailboxSlot | "set"> = MAILBOX_SLOTS.filter((s) => model.applied.mailboxes[s]);
        if ((model.applied.set?.folders.length ?? 0) > 0) targets.push("set");
        if (targets.length === 0) return false;
        this.target = targets[this.pick % targets.length] as MailboxSlot | "set";
        return true;
    }
    async run(model: Model, real: Real) {
        const set = model.applied.set as SetDecl;
        const m = model.applied.mailboxes[this.target as MailboxSlot] as MailboxDecl;
        const [server, user, folder] =
            this.target === "set"
                ? [set.server, ALICE, set.folders[0]!.name]
                : [m.server, account(m.user), canonicalName(m.folder, "/")];
        await real.sandboxes[server].deliver(user, folder, this.count);
        const guid = (await real.sandboxes[server].status(user, folder))?.guid as string;
        const prior = model.delivered.get(guid)?.count ?? 0;
        model.delivered.set(guid, { server, user, count: prior + this.count });
        real.log(`${this.toString()}: ${server} ${user} ${folder} ${guid}`);
    }
}

/** Edits the FolderSet: declare or forget it, add, remove or rename (with renamedFrom) a folder, toggle flags. */
export class SetEdit extends Step {
    constructor(
        readonly edit:
            | { op: "declare"; server: ServerRef }
            | { op: "forget" }
            | { op: "add"; name: string; child: boolean }
            | { op: "remove"; index: number }
            | { op: "rename"; index: number; name: string }
            | { op: "subscribe"; index: number }
            | { op: "force" },
        fault: Fault,
    ) {
        super(fault);
    }
    describe() {
        return `SetEdit(${JSON.stringify(this.edit)})`;
    }
    private folder(model: Readonly<Model>, index: number): SetFolder | undefined {
        const folders = model.program.set?.folders ?? [];
        return folders.length > 0 ? folders[index % folders.length] : undefined;
    }
    private childrenOf(model: Readonly<Model>, name: string): SetFolder[] {
        return (model.program.set?.folders ?? []).filter((f) => f.name.startsWith(`${name}/`));
    }
    check(model: Readonly<Model>) {
        const set = model.program.set;
        switch (this.edit.op) {
            case "declare":
                return !set && !taken(model.program, this.edit.server, ALICE, "SetA");
            case "forget":
                return set !== undefined;
            case "add": {
                if (!set) return false;
                const parent = set.folders.find((f) => !f.name.includes("/"));
                const name = this.edit.child ? (parent ? `${parent.name}/Sub` : "") : this.edit.name;
                return name !== "" && !taken(model.program, set.server, ALICE, name);
            }
            case "remove": {
                const f = this.folder(model, this.edit.index);
                return f !== undefined && this.childrenOf(model, f.name).length === 0;
            }
            case "rename": {
                const f = this.folder(model, this.edit.index);
                return (
                    set !== undefined &&
                    f !== undefined &&
                    !f.name.includes("/") &&
                    !taken(model.program, set.server, ALICE, this.edit.name)
                );
            }
            case "subscribe":
                return this.folder(model, this.edit.index) !== undefined;
            case "force":
                return set !== undefined;
        }
    }
    async run(model: Model, real: Real) {
        const before = clone(model.program.set);
        const server = model.applied.set?.server ?? "default";
        // Whether this edit deletes folders that hold mail, which the applied set may not do.
        const guardedGuids = async (names: string[]) => {
            const guids: string[] = [];
            for (const name of names) {
                const guid = (await real.sandboxes[server].status(ALICE, name))?.guid;
                if (guid && holdsMail(model, server, ALICE, guid)) guids.push(guid);
            }
            return guids;
        };
        let deleting: string[] = [];
        const edit = this.edit;
        switch (edit.op) {
            case "declare":
                model.program.set = {
                    server: edit.server,
                    folders: [{ name: "SetA", subscribed: true }],
                    forceDestroy: false,
                };
                break;
            case "forget":
                deleting = (model.applied.set?.folders ?? []).map((f) => f.name);
                delete model.program.set;
                break;
            case "add": {
                const set = model.program.set as SetDecl;
                const parent = set.folders.find((f) => !f.name.includes("/"));
                set.folders.push({ name: edit.child ? `${parent?.name}/Sub` : edit.name, subscribed: true });
                break;
            }
            case "remove": {
                const f = this.folder(model, edit.index) as SetFolder;
                if (model.applied.set?.folders.some((a) => a.name === f.name)) deleting = [f.name];
                (model.program.set as SetDecl).folders = (model.program.set as SetDecl).folders.filter(
                    (x) => x !== f,
                );
                break;
            }
            case "rename": {
                const f = this.folder(model, edit.index) as SetFolder;
                const from = f.name;
                for (const child of this.childrenOf(model, from)) {
                    child.renamedFrom = child.name;
                    child.name = `${edit.name}${child.name.slice(from.length)}`;
                }
                f.renamedFrom = from;
                f.name = edit.name;
                break;
            }
            case "subscribe": {
                const f = this.folder(model, edit.index) as SetFolder;
                f.subscribed = !f.subscribed;
                break;
            }
            case "force":
                (model.program.set as SetDecl).forceDestroy = !(model.program.set as SetDecl).forceDestroy;
                break;
        }
        const refused = !model.applied.set?.forceDestroy && (await guardedGuids(deleting)).length > 0;
        if (refused) {
            await apply(model, real, this.fault, this.toString(), { refusal: /holds \d+ messages?/ });
            model.program.set = before;
            await apply(model, real, { kind: "none" }, `${this.toString()}: put back`);
        } else {
            await apply(model, real, this.fault, this.toString());
        }
        // renamedFrom has done its job once applied (the FolderSet ignores it for a folder in place).
        for (const f of model.program.set?.folders ?? []) delete f.renamedFrom;
        for (const f of model.applied.set?.folders ?? []) delete f.renamedFrom;
    }
}
