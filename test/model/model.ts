// A model-based test of the whole tool (fast-check `fc.commands`): random sequences of program edits
// (declare, remove, rename, subscribe, change user or its spelling, adopt, forceDestroy, Mailbox and
// FolderSet) and random faults (connections dropped before or after the server ran a command, exit 75,
// the server stopped in the middle of `up`, names the server refuses), applied with the real `pulumi`
// CLI to a real Dovecot. After every step it checks, with doveadm and never with the code under test:
// - no message is ever lost unless forceDestroy was declared for its folder;
// - nothing outside the program's folders changes (canary users and folders);
// - refresh and destroy always work;
// - after one fault-free `up`, state and server agree and `preview --expect-no-changes` passes.
// Used seeded and bounded by `npm test` (test/model/model.test.ts) and longer by `npm run soak`.
import fc from "fast-check";
import { canonicalName } from "../../provider/names";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, FaultRule, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const CAROL = "carol@example.org";

/** How a program names a user: alice, alice spelled otherwise (same account), or bob. */
type UserRef = "alice" | "Alice" | "bob";
const login = (u: UserRef) => (u === "alice" ? ALICE : u === "Alice" ? "Alice@Example.org" : BOB);
const account = (u: UserRef) => (u === "bob" ? BOB : ALICE);

const MAILBOX_SLOTS = ["m1", "m2", "m3"] as const;
type MailboxSlot = (typeof MAILBOX_SLOTS)[number];
/** Flat names (a rename carries children along, so Mailbox resources get no hierarchy), one INBOX child. */
const MAILBOX_NAMES = ["Work", "Home", "Travel", "Inbox/Bills", "Notes"];
const SET_NAMES = ["SetA", "SetB", "SetC"];
const BAD_NAME = "Bad.name"; // Maildir++ refuses '.' (exit 64)
const LEGACY = "Legacy"; // made by an admin before the program, with mail: only `adopt` may take it

interface MailboxDecl {
    user: UserRef;
    folder: string;
    subscribed: boolean;
    forceDestroy: boolean;
    adopt: boolean;
}
interface SetFolder {
    name: string;
    subscribed: boolean;
    renamedFrom?: string;
}
interface SetDecl {
    folders: SetFolder[];
    forceDestroy: boolean;
}
/** A program: what is declared. */
interface Program {
    mailboxes: Partial<Record<MailboxSlot, MailboxDecl>>;
    set?: SetDecl;
}

/** The model: the program, the last one applied, and what the checks must remember. */
export interface Model {
    program: Program;
    applied: Program;
    /** Messages delivered into program folders, by GUID: they may only go with forceDestroy. */
    delivered: Map<string, { user: string; count: number }>;
    /** GUIDs of folders that a program sent to `up` declared with forceDestroy. */
    forceEver: Set<string>;
    /** Legacy still exists unmanaged. */
    legacy: boolean;
}

/** The real system: a Dovecot, a fault proxy in front of it, and a Pulumi project. */
export interface Real {
    sandbox: Sandbox;
    proxy: FaultProxy;
    project: PulumiProject;
    canaries: Array<{ user: string; name: string; guid: string; messages: number }>;
    log: (line: string) => void;
}

/** A fault applied to one `up`. */
export type Fault =
    | { kind: "none" }
    | { kind: "proxy"; rules: FaultRule[] }
    | { kind: "stop"; afterMs: number; forMs: number };

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function resources(program: Program): ResourceSpec[] {
    const specs: ResourceSpec[] = [];
    for (const slot of MAILBOX_SLOTS) {
        const m = program.mailboxes[slot];
        if (!m) continue;
        specs.push({
            kind: "Mailbox",
            name: slot,
            args: {
                user: login(m.user),
                name: m.folder,
                subscribed: m.subscribed,
                forceDestroy: m.forceDestroy,
                adopt: m.adopt,
            },
        });
    }
    if (program.set) {
        specs.push({
            kind: "FolderSet",
            name: "set",
            args: { user: ALICE, folders: program.set.folders, forceDestroy: program.set.forceDestroy },
        });
    }
    return specs;
}

/** Every (account, canonical folder) a program declares. */
function declared(program: Program): Array<{ user: string; folder: string; subscribed: boolean }> {
    const out = MAILBOX_SLOTS.flatMap((slot) => {
        const m = program.mailboxes[slot];
        return m
            ? [{ user: account(m.user), folder: canonicalName(m.folder, "/"), subscribed: m.subscribed }]
            : [];
    });
    for (const f of program.set?.folders ?? [])
        out.push({ user: ALICE, folder: f.name, subscribed: f.subscribed });
    return out;
}

function taken(program: Program, user: string, folder: string): boolean {
    const name = canonicalName(folder, "/");
    return declared(program).some((d) => d.user === user && d.folder === name) || name === LEGACY;
}

/** The GUID and messages of a user's folder, by name, as doveadm sees it. */
async function onServer(real: Real, user: string, folder: string) {
    if (folder === BAD_NAME) return undefined; // doveadm refuses to even look it up
    return real.sandbox.status(user, canonicalName(folder, "/"));
}

/** Remembers, before an `up`, the GUIDs of folders the program declares with forceDestroy. */
async function noteForce(model: Model, real: Real): Promise<void> {
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        if (!m?.forceDestroy) continue;
        // The folder as applied (it may be renamed or moved by this up), and as declared.
        for (const decl of [model.applied.mailboxes[slot], m]) {
            if (!decl) continue;
            const status = await onServer(real, account(decl.user), decl.folder);
            if (status) model.forceEver.add(status.guid);
        }
    }
    if (model.program.set?.forceDestroy) {
        for (const f of [...(model.applied.set?.folders ?? []), ...model.program.set.folders]) {
            const status = await onServer(real, ALICE, f.name);
            if (status) model.forceEver.add(status.guid);
        }
    }
}

/** Runs `pulumi up` of the model's program under `fault`; returns its result. */
async function up(model: Model, real: Real, fault: Fault) {
    real.project.setResources(resources(model.program));
    await noteForce(model, real);
    if (fault.kind === "none") return real.project.up({ allowFailure: true, timeoutMs: 240_000 });
    if (fault.kind === "proxy") {
        real.proxy.setRules(fault.rules);
        try {
            return await real.project.up({ allowFailure: true, timeoutMs: 240_000 });
        } finally {
            real.proxy.setRules([]);
        }
    }
    const running = real.project.up({ allowFailure: true, timeoutMs: 240_000 });
    await sleep(fault.afterMs);
    await real.sandbox.stopServer();
    await sleep(fault.forMs);
    await real.sandbox.startServer();
    return running;
}

/** No message lost unless forceDestroy was declared for its folder; canaries untouched. */
async function checkSafety(model: Model, real: Real, when: string): Promise<void> {
    for (const canary of real.canaries) {
        const now = await real.sandbox.status(canary.user, canary.name);
        if (now?.guid !== canary.guid || now.messages !== canary.messages) {
            throw new Error(`${when}: canary ${canary.user} ${canary.name} changed: ${JSON.stringify(now)}`);
        }
    }
    const byUser = new Map<string, Array<{ name: string; guid: string; messages: number }>>();
    for (const [guid, { user, count }] of model.delivered) {
        if (!byUser.has(user)) byUser.set(user, await real.sandbox.mailboxes(user));
        const found = byUser.get(user)?.find((m) => m.guid === guid);
        if (found && found.messages < count)
            throw new Error(
                `${when}: ${user} ${found.name} (${guid}) lost mail: ${found.messages} of ${count}`,
            );
        if (!found && !model.forceEver.has(guid))
            throw new Error(
                `${when}: ${user}'s folder ${guid} with ${count} messages is gone without forceDestroy`,
            );
        if (!found) model.delivered.delete(guid);
    }
}

/** After a fault-free `up` that succeeded: state and server agree; preview and refresh find nothing to do. */
async function checkConverged(model: Model, real: Real, when: string): Promise<void> {
    const fail = (what: string) => {
        throw new Error(`${when}: ${what}\n${real.project.transcript(2)}`);
    };
    const state = await real.project.stateResources();
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        const resource = state.find((r) => r.urn.endsWith(`::${slot}`));
        if (!m) {
            if (resource) fail(`${slot} is still in the state`);
            continue;
        }
        const status = await onServer(real, account(m.user), m.folder);
        if (!status) fail(`${slot}: ${m.folder} of ${account(m.user)} is not on the server`);
        if (resource?.outputs?.guid !== status?.guid)
            fail(
                `${slot}: state GUID ${String(resource?.outputs?.guid)} is not the server's ${status?.guid}`,
            );
        const subscribed = (await real.sandbox.listSubscriptions(account(m.user))).includes(
            canonicalName(m.folder, "/"),
        );
        if (subscribed !== m.subscribed)
            fail(`${slot}: subscribed is ${subscribed}, declared ${m.subscribed}`);
    }
    const set = state.find((r) => r.urn.endsWith("::set"));
    if (model.program.set) {
        const recorded = (set?.outputs?.mailboxes ?? []) as Array<{ name: string; guid: string }>;
        const names = recorded.map((m) => m.name).sort();
        const wanted = model.program.set.folders.map((f) => f.name).sort();
        if (JSON.stringify(names) !== JSON.stringify(wanted))
            fail(`set records ${names}, declared ${wanted}`);
        for (const m of recorded) {
            if ((await real.sandbox.status(ALICE, m.name))?.guid !== m.guid)
                fail(`set: ${m.name} has another GUID`);
        }
        const subscriptions = await real.sandbox.listSubscriptions(ALICE);
        for (const f of model.program.set.folders)
            if (subscriptions.includes(f.name) !== f.subscribed) fail(`set: ${f.name} subscription differs`);
    } else if (set) fail("the set is still in the state");
    // Nothing but the program's folders, INBOX, the canaries and an unadopted Legacy.
    for (const user of [ALICE, BOB]) {
        const expected = new Set([
            "INBOX",
            ...declared(model.program)
                .filter((d) => d.user === user)
                .map((d) => d.folder),
        ]);
        for (const c of real.canaries) if (c.user === user) expected.add(c.name);
        if (user === ALICE && model.legacy) expected.add(LEGACY);
        const actual = (await real.sandbox.listMailboxes(user)).sort();
        if (JSON.stringify(actual) !== JSON.stringify([...expected].sort()))
            fail(`${user} has ${JSON.stringify(actual)}, expected ${JSON.stringify([...expected].sort())}`);
    }
    const preview = await real.project.pulumi(
        ["preview", "--expect-no-changes", "--non-interactive", "--stack", "test"],
        {
            allowFailure: true,
        },
    );
    if (preview.code !== 0) fail(`preview --expect-no-changes failed:\n${preview.output.slice(-3000)}`);
    const refresh = await real.project.refresh({ allowFailure: true });
    if (refresh.code !== 0) fail(`refresh failed:\n${refresh.output.slice(-3000)}`);
}

/**
 * Applies the model's program under `fault`, then (if there was a fault) once more without one, and
 * checks the invariants. `refusal`, when given, is what a fault-free `up` of this program must fail
 * with (the program itself is refused); the state must still be usable (refresh works).
 */
async function apply(model: Model, real: Real, fault: Fault, what: string, refusal?: RegExp): Promise<void> {
    real.log(`${what}; fault ${JSON.stringify(fault)}`);
    if (fault.kind !== "none") {
        const faulty = await up(model, real, fault);
        real.log(`  faulty up exit ${faulty.code}`);
        await checkSafety(model, real, `${what}, after the faulty up`);
    }
    const result = await up(model, real, { kind: "none" });
    await checkSafety(model, real, `${what}, after the fault-free up`);
    if (refusal) {
        if (result.code === 0) throw new Error(`${what}: up succeeded but must be refused (${refusal})`);
        if (!refusal.test(result.output))
            throw new Error(`${what}: up failed, but not with ${refusal}:\n${result.output.slice(-3000)}`);
        const refresh = await real.project.refresh({ allowFailure: true });
        if (refresh.code !== 0)
            throw new Error(`${what}: refresh after the refusal failed:\n${refresh.output.slice(-3000)}`);
        return;
    }
    if (result.code !== 0) throw new Error(`${what}: fault-free up failed:\n${result.output.slice(-4000)}`);
    model.applied = clone(model.program);
    await checkConverged(model, real, what);
}

/** A step: edit the program (or the server's mail), apply it with a fault, check. */
abstract class Step implements fc.AsyncCommand<Model, Real> {
    constructor(readonly fault: Fault) {}
    abstract check(model: Readonly<Model>): boolean;
    abstract run(model: Model, real: Real): Promise<void>;
    abstract describe(): string;
    toString(): string {
        return `${this.describe()}${this.fault.kind === "none" ? "" : ` [${JSON.stringify(this.fault)}]`}`;
    }
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

/** Whether removing (or moving away) what `slot` applied may delete mail. */
function holdsMail(model: Readonly<Model>, user: string, folderGuid: string | undefined): boolean {
    return (
        folderGuid !== undefined &&
        model.delivered.has(folderGuid) &&
        model.delivered.get(folderGuid)?.user === user
    );
}

/** The names in the pool that `user` has not declared, starting at `pick`. */
function freeName(model: Readonly<Model>, user: string, pick: number): string | undefined {
    const free = MAILBOX_NAMES.filter((n) => !taken(model.program, user, n));
    return free.length > 0 ? free[pick % free.length] : undefined;
}

class Declare extends SlotStep {
    folder = "";
    constructor(
        pick: number,
        readonly decl: Omit<MailboxDecl, "folder">,
        readonly folderPick: number,
        fault: Fault,
    ) {
        super(pick, "free", fault);
    }
    name() {
        return `Declare(${JSON.stringify(this.decl)}, folder#${this.folderPick})`;
    }
    check(model: Readonly<Model>) {
        const folder = freeName(model, account(this.decl.user), this.folderPick);
        if (!this.resolve(model) || folder === undefined) return false;
        this.folder = folder;
        return true;
    }
    async run(model: Model, real: Real) {
        model.program.mailboxes[this.slot] = { ...this.decl, folder: this.folder };
        await apply(model, real, this.fault, `${this.toString()}: ${this.slot} ${this.folder}`);
    }
}

class Remove extends SlotStep {
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
        const what = `${this.toString()}: ${this.slot}`;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        const applied = model.applied.mailboxes[this.slot];
        const guid = applied
            ? (await onServer(real, account(applied.user), applied.folder))?.guid
            : undefined;
        delete model.program.mailboxes[this.slot];
        if (applied && holdsMail(model, account(applied.user), guid) && !applied.forceDestroy) {
            // Deletion safety: refused with the count, mail kept; the program puts it back.
            await apply(model, real, this.fault, what, /holds \d+ messages?; nothing was deleted/);
            model.program.mailboxes[this.slot] = m;
            await apply(model, real, { kind: "none" }, `${what}: put back`);
            return;
        }
        await apply(model, real, this.fault, what);
    }
}

class Rename extends SlotStep {
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
        const folder = freeName(model, account(m.user), this.folderPick);
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
class RefusedName extends SlotStep {
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
        await apply(model, real, this.fault, what, /rejected the mailbox name \(exit 64\)/);
        m.folder = before;
        await apply(model, real, { kind: "none" }, `${what}: corrected`);
    }
}

class Toggle extends SlotStep {
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
class ChangeUser extends SlotStep {
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
        if (m.user === this.user) return false;
        return account(m.user) === account(this.user) || !taken(model.program, account(this.user), m.folder);
    }
    async run(model: Model, real: Real) {
        const what = `${this.toString()}: ${this.slot}`;
        const m = model.program.mailboxes[this.slot] as MailboxDecl;
        const applied = model.applied.mailboxes[this.slot];
        const sameAccount = account(m.user) === account(this.user);
        const guid = applied
            ? (await onServer(real, account(applied.user), applied.folder))?.guid
            : undefined;
        m.user = this.user;
        if (
            !sameAccount &&
            applied &&
            holdsMail(model, account(applied.user), guid) &&
            !applied.forceDestroy
        ) {
            await apply(model, real, this.fault, what, /holds \d+ messages?; nothing was deleted/);
            m.user = applied.user;
            await apply(model, real, { kind: "none" }, `${what}: put back`);
            return;
        }
        await apply(model, real, this.fault, what);
        if (
            sameAccount &&
            guid !== undefined &&
            (await onServer(real, account(m.user), m.folder))?.guid !== guid
        )
            throw new Error(`${what}: a new spelling of the same user replaced the folder`);
    }
}

/** Takes over Legacy (made by an admin, with mail): refused without adopt, taken over with it. */
class Adopt extends SlotStep {
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
        const before = await real.sandbox.status(ALICE, LEGACY);
        model.program.mailboxes[this.slot] = {
            user: "alice",
            folder: LEGACY,
            subscribed: true,
            forceDestroy: false,
            adopt: false,
        };
        await apply(model, real, { kind: "none" }, `${what}: without adopt`, /already exists.*adopt: true/s);
        (model.program.mailboxes[this.slot] as MailboxDecl).adopt = true;
        model.legacy = false;
        await apply(model, real, this.fault, `${what}: with adopt`);
        const after = await real.sandbox.status(ALICE, LEGACY);
        if (after?.guid !== before?.guid || (after?.messages ?? 0) < (before?.messages ?? 0))
            throw new Error(`${what}: adopt changed Legacy: ${JSON.stringify([before, after])}`);
    }
}

/** Mail arrives in a folder the program applied (a Mailbox's, or the set's first). */
class Deliver extends Step {
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
        const [user, folder] =
            this.target === "set"
                ? [ALICE, (model.applied.set as SetDecl).folders[0]!.name]
                : [
                      account((model.applied.mailboxes[this.target] as MailboxDecl).user),
                      canonicalName((model.applied.mailboxes[this.target] as MailboxDecl).folder, "/"),
                  ];
        await real.sandbox.deliver(user, folder, this.count);
        const guid = (await real.sandbox.status(user, folder))?.guid as string;
        const prior = model.delivered.get(guid)?.count ?? 0;
        model.delivered.set(guid, { user, count: prior + this.count });
        real.log(`${this.toString()}: ${user} ${folder} ${guid}`);
    }
}

/** Edits the FolderSet: declare or forget it, add, remove or rename (with renamedFrom) a folder, toggle flags. */
class SetEdit extends Step {
    constructor(
        readonly edit:
            | { op: "declare" }
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
                return !set;
            case "forget":
                return set !== undefined;
            case "add": {
                if (!set) return false;
                const parent = set.folders.find((f) => !f.name.includes("/"));
                const name = this.edit.child ? (parent ? `${parent.name}/Sub` : "") : this.edit.name;
                return name !== "" && !taken(model.program, ALICE, name);
            }
            case "remove": {
                const f = this.folder(model, this.edit.index);
                return f !== undefined && this.childrenOf(model, f.name).length === 0;
            }
            case "rename": {
                const f = this.folder(model, this.edit.index);
                return (
                    f !== undefined && !f.name.includes("/") && !taken(model.program, ALICE, this.edit.name)
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
        // Whether this edit deletes folders that hold mail, which the applied set may not do.
        const guardedGuids = async (names: string[]) => {
            const guids: string[] = [];
            for (const name of names) {
                const guid = (await real.sandbox.status(ALICE, name))?.guid;
                if (guid && holdsMail(model, ALICE, guid)) guids.push(guid);
            }
            return guids;
        };
        let deleting: string[] = [];
        const edit = this.edit;
        switch (edit.op) {
            case "declare":
                model.program.set = { folders: [{ name: "SetA", subscribed: true }], forceDestroy: false };
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
            await apply(model, real, this.fault, this.toString(), /holds \d+ messages?/);
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

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
    { weight: 5, arbitrary: fc.constant<Fault>({ kind: "none" }) },
    {
        weight: 3,
        arbitrary: fc
            .array(
                fc.record({
                    command: fc.constantFrom(
                        "mailboxCreate",
                        "mailboxRename",
                        "mailboxDelete",
                        "mailboxStatus",
                        "mailboxSubscribe",
                        "mailboxUnsubscribe",
                        "mailboxList",
                    ),
                    action: fc.constantFrom<FaultRule["action"]>(
                        { kind: "close-before" },
                        { kind: "close-after" },
                        { kind: "exit", exitCode: 75 },
                    ),
                    times: fc.integer({ min: 1, max: 8 }),
                    skip: fc.integer({ min: 0, max: 3 }),
                }),
                { minLength: 1, maxLength: 2 },
            )
            .map((rules): Fault => ({ kind: "proxy", rules })),
    },
    {
        weight: 2,
        arbitrary: fc
            .record({
                afterMs: fc.integer({ min: 300, max: 2500 }),
                forMs: fc.integer({ min: 300, max: 2500 }),
            })
            .map((r): Fault => ({ kind: "stop", ...r })),
    },
);

const pickArb = fc.nat(11);
const userArb = fc.constantFrom<UserRef>("alice", "Alice", "bob");
const declArb = fc.record({
    user: userArb,
    subscribed: fc.boolean(),
    forceDestroy: fc.boolean(),
    adopt: fc.constant(false),
});

/** The commands of the model. */
export const commandArbs: Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> = [
    fc.tuple(pickArb, declArb, pickArb, faultArb).map(([p, d, n, f]) => new Declare(p, d, n, f)),
    fc.tuple(pickArb, declArb, pickArb, faultArb).map(([p, d, n, f]) => new Declare(p, d, n, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new Remove(p, f)),
    fc.tuple(pickArb, pickArb, faultArb).map(([p, n, f]) => new Rename(p, n, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new RefusedName(p, f)),
    fc
        .tuple(
            pickArb,
            fc.constantFrom<"subscribed" | "forceDestroy">("subscribed", "forceDestroy"),
            faultArb,
        )
        .map(([p, field, f]) => new Toggle(p, field, f)),
    fc.tuple(pickArb, userArb, faultArb).map(([p, u, f]) => new ChangeUser(p, u, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new Adopt(p, f)),
    fc.tuple(pickArb, fc.integer({ min: 1, max: 2 })).map(([p, n]) => new Deliver(p, n)),
    fc
        .tuple(
            fc.oneof(
                fc.constant({ op: "declare" as const }),
                fc.constant({ op: "forget" as const }),
                fc.record({
                    op: fc.constant("add" as const),
                    name: fc.constantFrom(...SET_NAMES),
                    child: fc.boolean(),
                }),
                fc.record({ op: fc.constant("remove" as const), index: fc.nat(3) }),
                fc.record({
                    op: fc.constant("rename" as const),
                    index: fc.nat(3),
                    name: fc.constantFrom(...SET_NAMES),
                }),
                fc.record({ op: fc.constant("subscribe" as const), index: fc.nat(3) }),
                fc.constant({ op: "force" as const }),
            ),
            faultArb,
        )
        .map(([e, f]) => new SetEdit(e, f)),
];

/** Starts the real system for one run: a Dovecot with canaries and Legacy, a proxy, a project. */
export async function setup(
    log: (line: string) => void,
): Promise<{ model: Model; real: Real; stop: () => Promise<void> }> {
    const sandbox = await startDovecot({ users: ["alice", "bob", "carol"] });
    const proxy = await startFaultProxy({ target: sandbox.endpoint });
    for (const [user, name, count] of [
        [ALICE, "CanaryKeep", 2],
        [BOB, "Canary", 1],
        [CAROL, "Work", 1],
        [CAROL, "Home", 1],
        [ALICE, LEGACY, 1],
    ] as const) {
        await sandbox.doveadm(["mailbox", "create", "-u", user, name]);
        await sandbox.deliver(user, name, count);
    }
    for (const user of [ALICE, BOB, CAROL]) await sandbox.mailboxes(user); // opens every INBOX
    const canaries = [];
    for (const [user, name] of [
        [ALICE, "CanaryKeep"],
        [ALICE, "INBOX"],
        [BOB, "Canary"],
        [CAROL, "Work"],
        [CAROL, "Home"],
    ] as const) {
        const status = await sandbox.status(user, name);
        canaries.push({ user, name, guid: status!.guid, messages: status!.messages });
    }
    const project = await PulumiProject.create({
        server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
        name: "model",
    });
    await project.setConfig("dovecot:timeoutMs", "3000");
    const legacy = await sandbox.status(ALICE, LEGACY);
    const model: Model = {
        program: { mailboxes: {} },
        applied: { mailboxes: {} },
        delivered: new Map([[legacy!.guid, { user: ALICE, count: 1 }]]),
        forceEver: new Set(),
        legacy: true,
    };
    const real: Real = { sandbox, proxy, project, canaries, log };
    return {
        model,
        real,
        stop: async () => {
            project.cleanup();
            await proxy.close();
            await sandbox.stop();
        },
    };
}

/**
 * The end of every run: destroy works (refusing only folders that hold mail without forceDestroy,
 * and losing nothing), and with forceDestroy everywhere it removes every folder the program made.
 */
export async function finish(model: Model, real: Real): Promise<void> {
    real.log("finish: destroy");
    const destroy = await real.project.destroy({ allowFailure: true, timeoutMs: 240_000 });
    if (destroy.code !== 0 && !/holds \d+ messages?/.test(destroy.output))
        throw new Error(
            `destroy failed for another reason than deletion safety:\n${destroy.output.slice(-4000)}`,
        );
    await checkSafety(model, real, "after destroy");
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        if (m) m.forceDestroy = true;
    }
    if (model.program.set) model.program.set.forceDestroy = true;
    await apply(model, real, { kind: "none" }, "finish: forceDestroy everywhere");
    const again = await real.project.destroy({ allowFailure: true, timeoutMs: 240_000 });
    if (again.code !== 0) throw new Error(`destroy with forceDestroy failed:\n${again.output.slice(-4000)}`);
    await checkSafety(model, real, "after the final destroy");
    if ((await real.project.stateResources()).length > 0)
        throw new Error("destroy left resources in the state");
    for (const user of [ALICE, BOB]) {
        const left = (await real.sandbox.listMailboxes(user)).filter(
            (n) =>
                n !== "INBOX" &&
                !real.canaries.some((c) => c.user === user && c.name === n) &&
                !(model.legacy && n === LEGACY),
        );
        if (left.length > 0) throw new Error(`destroy left ${user}'s ${JSON.stringify(left)}`);
    }
}

/** Runs the model: `runs` sequences of at most `maxCommands` steps, from `seed` (or a replayed `path`). */
export async function runModel(options: {
    seed: number;
    runs: number;
    maxCommands: number;
    path?: string;
    log?: (line: string) => void;
}): Promise<void> {
    const log = options.log ?? (() => undefined);
    await fc.assert(
        fc.asyncProperty(
            fc.commands(commandArbs, { maxCommands: options.maxCommands, size: "max" }),
            async (commands) => {
                const { model, real, stop } = await setup(log);
                try {
                    log(`--- run: ${[...commands].map(String).join("; ")}`);
                    await fc.asyncModelRun(() => ({ model, real }), commands);
                    await finish(model, real);
                } finally {
                    await stop();
                }
            },
        ),
        { seed: options.seed, numRuns: options.runs, path: options.path, endOnFailure: true, verbose: 1 },
    );
}
