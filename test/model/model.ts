// A model-based test of the whole tool (fast-check `fc.commands`): random sequences of program edits
// and random faults, applied with the real `pulumi` CLI to two real Dovecots with Sieve, ACLs and
// METADATA: the default server, and one named in `dovecot:servers` ("east"). The program declares
// Mailboxes, a FolderSet, SieveScripts, MailboxAcls, MailboxMetadata and Subscriptions on either
// server; steps declare, remove, rename, re-own (another account, or another spelling of the same
// one), move to the other server and change them (a script's text, active flag and adopt, ACL rights,
// a METADATA value, ...), subscribe, adopt, forceDestroy, deliver mail. Faults: connections dropped
// before or after the server ran a command (folder and plugin commands), exit 75, a server stopped in
// the middle of `up`, names the server refuses. Two more kinds of steps:
// - a duplicate target: the program declares a second resource with the target of one it has (two
//   SieveScripts of one user and name, two active ones of one user, two MailboxAcls of one mailbox
//   and identifier, two MailboxMetadata of one entry, two Subscriptions of one name, a Subscription of
//   a Mailbox's folder, two Mailboxes of one folder, a Mailbox of a FolderSet folder), sometimes with
//   an unrelated edit beside it; `up` must be refused naming both (see `Duplicate` for what the
//   server may show then, and why);
// - someone else, with doveadm: stores and activates a Sieve script of their own for a user (an
//   active SieveScript of the program for that user is then refused unless `adopt`; with adopt it is
//   made active and records the script it replaced, which its removal makes active again), deletes
//   one, sets an ACL entry or a METADATA entry the program does not declare.
// After every step it checks, with doveadm and never with the code under test:
// - no message is ever lost unless forceDestroy was declared for its folder;
// - nothing the program does not declare changes: canary folders (GUID and messages), subscriptions,
//   Sieve scripts (text, and active state, which only an adopting SieveScript and its removal change,
//   as the model predicts), ACL entries and METADATA entries, of canaries and of "someone else";
// - a refused `up` changes nothing on either server (a duplicate target: see `Duplicate`);
// - refresh and destroy always work;
// - after a fault-free `up`, both servers hold exactly what the program declares plus what nobody
//   declared (folders, subscriptions, scripts with text and active state, ACL entries, METADATA
//   entries), the state agrees (GUIDs, the script an adopting SieveScript replaced), and
//   `preview --refresh --expect-no-changes` passes (refresh reads it all back as applied).
// Used seeded and bounded by `npm test` (test/model/model.test.ts) and longer by `npm run soak`.
import fc from "fast-check";
import { canonicalName } from "../../provider/names";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, FaultRule, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const CAROL = "carol@example.org";

/** The default server (the top-level settings), and one named in `dovecot:servers`. */
type ServerRef = "default" | "east";
const SERVERS: readonly ServerRef[] = ["default", "east"];
const otherServer = (server: ServerRef): ServerRef => (server === "default" ? "east" : "default");
/** A resource's `server` input: absent for the default server. */
const serverInput = (server: ServerRef) => (server === "default" ? {} : { server });

/** How a program names a user: alice, alice spelled otherwise (same account), or bob. */
type UserRef = "alice" | "Alice" | "bob";
const USER_REFS: readonly UserRef[] = ["alice", "Alice", "bob"];
const login = (u: UserRef) => (u === "alice" ? ALICE : u === "Alice" ? "Alice@Example.org" : BOB);
const account = (u: UserRef) => (u === "bob" ? BOB : ALICE);
/** The users a program names on each server: bob has an account on the default server only. */
const USERS_ON: Record<ServerRef, readonly UserRef[]> = { default: USER_REFS, east: ["alice", "Alice"] };
const fitUser = (server: ServerRef, user: UserRef): UserRef =>
    USERS_ON[server].includes(user) ? user : "alice";
/** The same account, spelled otherwise when `variant` is odd. */
const respell = (user: UserRef, variant: number): UserRef =>
    user === "bob" || variant % 2 === 0 ? user : user === "alice" ? "Alice" : "alice";

/** An account on a server, as the checks key what they read. */
const at = (server: ServerRef, user: string) => `${server}|${user}`;
/** The account on a server that a declaration is about. */
const whereOf = (d: { server: ServerRef; user: UserRef }) => at(d.server, account(d.user));
/** Every account whose things the checks read: the program's users, and carol, a canary user. */
const OWNERS: ReadonlyArray<{ server: ServerRef; user: string }> = [
    { server: "default", user: ALICE },
    { server: "default", user: BOB },
    { server: "default", user: CAROL },
    { server: "east", user: ALICE },
    { server: "east", user: CAROL },
];
/** The accounts a program (and "someone else") acts on. */
const PROGRAM_OWNERS = OWNERS.filter((o) => o.user !== CAROL);

const MAILBOX_SLOTS = ["m1", "m2", "m3"] as const;
type MailboxSlot = (typeof MAILBOX_SLOTS)[number];
/** Flat names (a rename carries children along, so Mailbox resources get no hierarchy), one INBOX child. */
const MAILBOX_NAMES = ["Work", "Home", "Travel", "Inbox/Bills", "Notes"];
const SET_NAMES = ["SetA", "SetB", "SetC"];
const BAD_NAME = "Bad.name"; // Maildir++ refuses '.' (exit 64)
const LEGACY = "Legacy"; // made by an admin before the program, with mail: only `adopt` may take it
/** A folder every program user has from the start, managed by nobody: where ACL and METADATA entries go. */
const TEAM = "Team";

const SIEVE_SLOTS = ["s1", "s2", "s3"] as const;
type SieveSlot = (typeof SIEVE_SLOTS)[number];
const SIEVE_NAMES = ["rules", "lists", "spam"];
const SIEVE_TEXTS = [
    "# the program's rules\nkeep;\n",
    'require "fileinto";\nif header :contains "Subject" "work" { fileinto "INBOX"; }\n',
    'if header :contains "Subject" "spam" { discard; stop; }\nkeep;\n',
];
/** Scripts someone else stores (never a name the program uses). */
const FOREIGN_SIEVE_NAMES = ["theirs", "vacation"];
const FOREIGN_SIEVE_TEXTS = ["# someone else's rules\nkeep;\n", "# away\nkeep;\n"];

const ACL_SLOTS = ["a1", "a2"] as const;
type AclSlot = (typeof ACL_SLOTS)[number];
const ACL_MAILBOXES = ["INBOX", TEAM];
const ACL_IDS = ["user=carol@example.org", "anyone", "authenticated"];
/** Identifiers only someone else (or a canary) sets. */
const FOREIGN_ACL_IDS = ["group=staff", "group=ops"];
/** Right lists, each sorted by name as Dovecot reports them. */
const RIGHTS = [["lookup"], ["lookup", "read"], ["insert", "lookup", "read"], ["lookup", "write-seen"]];

const META_SLOTS = ["d1", "d2"] as const;
type MetaSlot = (typeof META_SLOTS)[number];
/** METADATA entries a program declares ("" is the user level). */
const META_TARGETS = [
    { mailbox: "INBOX", key: "/private/comment" },
    { mailbox: TEAM, key: "/shared/comment" },
    { mailbox: "", key: "/private/comment" },
];
/** Entries only someone else sets. */
const FOREIGN_META_TARGETS = [
    { mailbox: TEAM, key: "/private/comment" },
    { mailbox: "", key: "/private/note" },
];
const META_VALUES = ["one", "two words", "trois é"];
/** METADATA entries set at setup that no program declares. */
const CANARY_META: ReadonlyArray<{
    server: ServerRef;
    user: string;
    mailbox: string;
    key: string;
    value: string;
}> = [
    { server: "default", user: ALICE, mailbox: "INBOX", key: "/private/canary", value: "alice's canary" },
    { server: "default", user: CAROL, mailbox: "INBOX", key: "/private/comment", value: "carol's comment" },
    { server: "east", user: ALICE, mailbox: TEAM, key: "/private/canary", value: "east canary" },
];

const SUB_SLOTS = ["u1", "u2"] as const;
type SubSlot = (typeof SUB_SLOTS)[number];
/** Names a Subscription declares: one that exists (Team), two that do not. */
const SUB_NAMES = ["News", "Lists/Dev", TEAM];

interface MailboxDecl {
    server: ServerRef;
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
/** The FolderSet, of alice on its server. */
interface SetDecl {
    server: ServerRef;
    folders: SetFolder[];
    forceDestroy: boolean;
}
interface SieveDecl {
    server: ServerRef;
    user: UserRef;
    name: string;
    script: string;
    active: boolean;
    adopt: boolean;
}
interface AclDecl {
    server: ServerRef;
    user: UserRef;
    mailbox: string;
    identifier: string;
    rights: string[];
}
interface MetaDecl {
    server: ServerRef;
    user: UserRef;
    mailbox: string;
    key: string;
    value: string;
}
interface SubDecl {
    server: ServerRef;
    user: UserRef;
    mailbox: string;
}
/** A program: what is declared. */
interface Program {
    mailboxes: Partial<Record<MailboxSlot, MailboxDecl>>;
    set?: SetDecl;
    sieves: Partial<Record<SieveSlot, SieveDecl>>;
    acls: Partial<Record<AclSlot, AclDecl>>;
    metas: Partial<Record<MetaSlot, MetaDecl>>;
    subs: Partial<Record<SubSlot, SubDecl>>;
}
const emptyProgram = (): Program => ({ mailboxes: {}, sieves: {}, acls: {}, metas: {}, subs: {} });

/** One account's Sieve scripts as the model expects them on its server: text by name, and the active one. */
interface ScriptsOf {
    scripts: Record<string, string>;
    active?: string;
}
/**
 * The Sieve scripts the model expects on the servers (the program's and everyone else's), by account,
 * and the script each adopting SieveScript recorded as replaced (made active again when it goes).
 */
interface SieveSim {
    owners: Record<string, ScriptsOf>;
    replaced: Partial<Record<SieveSlot, string>>;
}

/** What nobody's program declares: canaries, and what "someone else" made. */
interface Undeclared {
    /** Folders with their GUID and messages (every INBOX, Team, the canaries). */
    folders: Array<{ server: ServerRef; user: string; name: string; guid: string; messages: number }>;
    /** Scripts (their text and active state are in the SieveSim); canaries are never deleted. */
    scripts: Array<{ server: ServerRef; user: string; name: string; canary: boolean }>;
    acls: Array<{ server: ServerRef; user: string; mailbox: string; id: string; rights: string[] }>;
    metas: Array<{ server: ServerRef; user: string; mailbox: string; key: string; value: string }>;
    subs: Array<{ server: ServerRef; user: string; name: string }>;
}

/** The model: the program, the last one applied, and what the checks must remember. */
export interface Model {
    program: Program;
    applied: Program;
    /** Messages delivered into program folders, by GUID: they may only go with forceDestroy. */
    delivered: Map<string, { server: ServerRef; user: string; count: number }>;
    /** GUIDs of folders that a program sent to `up` declared with forceDestroy. */
    forceEver: Set<string>;
    /** Legacy still exists unmanaged. */
    legacy: boolean;
    undeclared: Undeclared;
    sieve: SieveSim;
}

/** The real system: two Dovecots, a fault proxy in front of each, and a Pulumi project. */
export interface Real {
    sandboxes: Record<ServerRef, Sandbox>;
    proxies: Record<ServerRef, FaultProxy>;
    project: PulumiProject;
    log: (line: string) => void;
}

/** A fault applied to one `up`, on one server. */
export type Fault =
    | { kind: "none" }
    | { kind: "proxy"; server: ServerRef; rules: FaultRule[] }
    | { kind: "stop"; server: ServerRef; afterMs: number; forMs: number };

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** `text` as a regular expression that matches it literally. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** A value of `pool` other than `value`, chosen by `pick`. */
function otherOf<T>(pool: readonly T[], value: T, pick: number): T {
    const others = pool.filter((v) => JSON.stringify(v) !== JSON.stringify(value));
    return others[pick % others.length] as T;
}
/** A record's entry set, or removed when `value` is undefined. */
function setSlot<K extends string, V>(table: Partial<Record<K, V>>, slot: K, value: V | undefined): void {
    if (value === undefined) delete table[slot];
    else table[slot] = value;
}
/** Runs `tasks` with at most `limit` at a time (doveadm is a process per call). */
async function inParallel(tasks: Array<() => Promise<void>>, limit = 4): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

// ---- The program as resources ----

/** A resource to add to the program (a duplicate), before the resource named `before` or last. */
interface Extra {
    spec: ResourceSpec;
    before?: string;
}

function resources(program: Program, extra?: Extra): ResourceSpec[] {
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
                ...serverInput(m.server),
            },
        });
    }
    if (program.set) {
        specs.push({
            kind: "FolderSet",
            name: "set",
            args: {
                user: ALICE,
                folders: program.set.folders,
                forceDestroy: program.set.forceDestroy,
                ...serverInput(program.set.server),
            },
        });
    }
    for (const slot of SIEVE_SLOTS) {
        const d = program.sieves[slot];
        if (!d) continue;
        const { server, user, ...rest } = d;
        specs.push({
            kind: "SieveScript",
            name: slot,
            args: { user: login(user), ...rest, ...serverInput(server) },
        });
    }
    for (const slot of ACL_SLOTS) {
        const d = program.acls[slot];
        if (!d) continue;
        const { server, user, ...rest } = d;
        specs.push({
            kind: "MailboxAcl",
            name: slot,
            args: { user: login(user), ...rest, ...serverInput(server) },
        });
    }
    for (const slot of META_SLOTS) {
        const d = program.metas[slot];
        if (!d) continue;
        const { server, user, ...rest } = d;
        specs.push({
            kind: "MailboxMetadata",
            name: slot,
            args: { user: login(user), ...rest, ...serverInput(server) },
        });
    }
    for (const slot of SUB_SLOTS) {
        const d = program.subs[slot];
        if (!d) continue;
        specs.push({
            kind: "Subscription",
            name: slot,
            args: { user: login(d.user), mailbox: d.mailbox, ...serverInput(d.server) },
        });
    }
    if (extra) {
        const index = specs.findIndex((s) => s.name === extra.before);
        specs.splice(index < 0 ? specs.length : index, 0, extra.spec);
    }
    return specs;
}

/** Every (server, account, canonical folder) a program declares, with its `subscribed`. */
function declaredFolders(
    program: Program,
): Array<{ server: ServerRef; user: string; folder: string; subscribed: boolean }> {
    const out = MAILBOX_SLOTS.flatMap((slot) => {
        const m = program.mailboxes[slot];
        return m
            ? [
                  {
                      server: m.server,
                      user: account(m.user),
                      folder: canonicalName(m.folder, "/"),
                      subscribed: m.subscribed,
                  },
              ]
            : [];
    });
    for (const f of program.set?.folders ?? [])
        out.push({
            server: (program.set as SetDecl).server,
            user: ALICE,
            folder: f.name,
            subscribed: f.subscribed,
        });
    return out;
}

function taken(program: Program, server: ServerRef, user: string, folder: string): boolean {
    const name = canonicalName(folder, "/");
    return (
        declaredFolders(program).some((d) => d.server === server && d.user === user && d.folder === name) ||
        name === LEGACY
    );
}

// ---- Sieve: what the model expects the provider to do with scripts ----

/** Why the provider refuses a SieveScript before changing anything: the active script is another's. */
interface SieveRefusal {
    /** The user's active script it would deactivate (or `exists:<name>`: the name is taken). */
    other: string;
    /** True when nothing was changed before the refusal (else it came after a replace's delete). */
    clean: boolean;
}
type SievePrediction = { ok: true; outcomes: SieveSim[] } | ({ ok: false } & SieveRefusal);

function ownerScripts(sim: SieveSim, where: string): ScriptsOf {
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
function predictSieve(applied: Program, program: Program, sim: SieveSim): SievePrediction {
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
const activeRefusal = (other: string) =>
    new RegExp(
        `the user's active Sieve script is ${literal(JSON.stringify(other))}, which this SieveScript did not store`,
    );

// ---- The world: what the servers hold, as facts ----

/**
 * What the servers hold, as `kind|server|account|...` keys with values: folders, subscriptions,
 * scripts (active state and text), ACL entries (rights) and METADATA entries (value), of every
 * account in OWNERS (folders of the shared namespace left out: they are other users' folders).
 */
type World = Map<string, string>;

const scriptFact = (active: boolean, text: string) =>
    `${active ? "active" : "inactive"} ${JSON.stringify(text)}`;
/** The folders whose ACL an account's check reads. */
const aclMailboxes = (user: string) => (user === CAROL ? ["INBOX"] : ["INBOX", TEAM]);
/** The METADATA entries an account's check reads: every entry a program, someone else or a canary sets. */
function metaUniverse(server: ServerRef, user: string): Array<{ mailbox: string; key: string }> {
    const canaries = CANARY_META.filter((c) => c.server === server && c.user === user);
    return [...(user === CAROL ? [] : [...META_TARGETS, ...FOREIGN_META_TARGETS]), ...canaries];
}

/** Rows of a `doveadm -f tab` answer, without its header. */
const tabRows = (out: string) =>
    out
        .split("\n")
        .filter((line) => line.length > 0)
        .slice(1)
        .map((line) => line.split("\t"));

async function readSieve(s: Sandbox, user: string): Promise<Array<{ name: string; active: boolean }>> {
    const out = await s.doveadm(["-f", "tab", "sieve", "list", "-u", user]);
    return tabRows(out).map(([name, active]) => ({ name: name ?? "", active: active === "ACTIVE" }));
}

async function readScript(s: Sandbox, user: string, name: string): Promise<string> {
    const out = await s.doveadm(["sieve", "get", "-u", user, name]);
    const prefix = "sieve script:\n";
    if (!out.startsWith(prefix))
        throw new Error(`doveadm sieve get ${user} ${name} printed ${JSON.stringify(out)}`);
    return out.slice(prefix.length);
}

async function readAcl(
    s: Sandbox,
    user: string,
    mailbox: string,
): Promise<Array<{ id: string; rights: string }>> {
    const out = await s.doveadm(["-f", "tab", "acl", "get", "-u", user, mailbox]);
    return tabRows(out)
        .filter(([, global]) => (global ?? "") === "")
        .map(([id, , rights]) => ({ id: id ?? "", rights: rights ?? "" }));
}

async function readMeta(s: Sandbox, user: string, mailbox: string, key: string): Promise<string> {
    const where = mailbox === "" ? ["-s", ""] : [mailbox];
    const out = await s.doveadm(["mailbox", "metadata", "get", "-u", user, ...where, key]);
    return out.endsWith("\n") ? out.slice(0, -1) : out;
}

/** Every folder's GUID and messages (`mailbox status '*'`; every INBOX was opened at setup). */
async function readStatuses(s: Sandbox, user: string) {
    const out = await s.doveadm(["-f", "tab", "mailbox", "status", "-u", user, "guid messages", "*"]);
    const [header, ...rows] = out.split("\n").filter((l) => l.length > 0);
    const keys = (header ?? "").split("\t");
    return rows.map((line) => {
        const row = line.split("\t");
        const get = (k: string) => row[keys.indexOf(k)] ?? "";
        return { name: get("mailbox"), guid: get("guid"), messages: Number(get("messages")) };
    });
}

const isShared = (name: string) => name === "shared" || name.startsWith("shared/");

/** Reads the world from both servers with doveadm. */
async function readWorld(real: Real): Promise<World> {
    const world: World = new Map();
    const tasks: Array<() => Promise<void>> = [];
    for (const { server, user } of OWNERS) {
        const s = real.sandboxes[server];
        const where = at(server, user);
        tasks.push(async () => {
            for (const name of await s.listMailboxes(user))
                if (!isShared(name)) world.set(`folder|${where}|${name}`, "");
        });
        tasks.push(async () => {
            for (const name of await s.listSubscriptions(user)) world.set(`sub|${where}|${name}`, "");
        });
        tasks.push(async () => {
            for (const { name, active } of await readSieve(s, user))
                world.set(`sieve|${where}|${name}`, scriptFact(active, await readScript(s, user, name)));
        });
        for (const mailbox of aclMailboxes(user))
            tasks.push(async () => {
                for (const { id, rights } of await readAcl(s, user, mailbox))
                    world.set(`acl|${where}|${mailbox}|${id}`, rights);
            });
        for (const { mailbox, key } of metaUniverse(server, user))
            tasks.push(async () => {
                const value = await readMeta(s, user, mailbox, key);
                if (value !== "") world.set(`meta|${where}|${mailbox}|${key}`, value);
            });
    }
    await inParallel(tasks);
    return world;
}

/**
 * Reads only the facts `keys` name (scripts, ACL and METADATA entries, subscriptions), with as few
 * doveadm calls as that takes: what the checks after a faulty `up` need.
 */
async function readFacts(real: Real, keys: readonly string[]): Promise<World> {
    const world: World = new Map();
    const groups = new Map<string, () => Promise<void>>();
    for (const key of keys) {
        const [kind, server, user, ...rest] = key.split("|") as [string, ServerRef, string, ...string[]];
        const s = real.sandboxes[server];
        const where = at(server, user);
        if (kind === "sub")
            groups.set(`sub|${where}`, async () => {
                for (const name of await s.listSubscriptions(user)) world.set(`sub|${where}|${name}`, "");
            });
        else if (kind === "sieve")
            groups.set(`sieve|${where}`, async () => {
                for (const { name, active } of await readSieve(s, user))
                    if (keys.includes(`sieve|${where}|${name}`))
                        world.set(
                            `sieve|${where}|${name}`,
                            scriptFact(active, await readScript(s, user, name)),
                        );
            });
        else if (kind === "acl")
            groups.set(`acl|${where}|${rest[0]}`, async () => {
                for (const { id, rights } of await readAcl(s, user, rest[0] as string))
                    world.set(`acl|${where}|${rest[0]}|${id}`, rights);
            });
        else if (kind === "meta")
            groups.set(key, async () => {
                const value = await readMeta(s, user, rest[0] as string, rest[1] as string);
                if (value !== "") world.set(key, value);
            });
        else throw new Error(`readFacts: cannot read ${key}`);
    }
    await inParallel([...groups.values()]);
    return world;
}

/** The world the model expects when `program` is applied and the scripts are as in `sim`. */
function expectedWorld(model: Readonly<Model>, program: Program, sim: SieveSim): World {
    const world: World = new Map();
    const u = model.undeclared;
    for (const f of u.folders) world.set(`folder|${at(f.server, f.user)}|${f.name}`, "");
    if (model.legacy) world.set(`folder|${at("default", ALICE)}|${LEGACY}`, "");
    for (const d of declaredFolders(program)) {
        world.set(`folder|${at(d.server, d.user)}|${d.folder}`, "");
        if (d.subscribed) world.set(`sub|${at(d.server, d.user)}|${d.folder}`, "");
    }
    for (const slot of SUB_SLOTS) {
        const d = program.subs[slot];
        if (d) world.set(`sub|${whereOf(d)}|${canonicalName(d.mailbox, "/")}`, "");
    }
    for (const s of u.subs) world.set(`sub|${at(s.server, s.user)}|${s.name}`, "");
    for (const [where, o] of Object.entries(sim.owners))
        for (const [name, text] of Object.entries(o.scripts))
            world.set(`sieve|${where}|${name}`, scriptFact(o.active === name, text));
    for (const slot of ACL_SLOTS) {
        const d = program.acls[slot];
        if (d)
            world.set(
                `acl|${whereOf(d)}|${canonicalName(d.mailbox, "/")}|${d.identifier}`,
                d.rights.join(" "),
            );
    }
    for (const a of u.acls) world.set(`acl|${at(a.server, a.user)}|${a.mailbox}|${a.id}`, a.rights.join(" "));
    for (const slot of META_SLOTS) {
        const d = program.metas[slot];
        if (d) world.set(`meta|${whereOf(d)}|${d.mailbox}|${d.key}`, d.value);
    }
    for (const m of u.metas) world.set(`meta|${at(m.server, m.user)}|${m.mailbox}|${m.key}`, m.value);
    return world;
}

/** How `actual` differs from `expected`, one line per fact. */
function worldDiff(expected: World, actual: World): string[] {
    const lines: string[] = [];
    for (const [key, value] of expected) {
        if (!actual.has(key)) lines.push(`missing   ${key} = ${value}`);
        else if (actual.get(key) !== value) lines.push(`changed   ${key}: ${value} -> ${actual.get(key)}`);
    }
    for (const [key, value] of actual) if (!expected.has(key)) lines.push(`unexpected ${key} = ${value}`);
    return lines;
}

// ---- Checks ----

/** The GUID and messages of a folder, by name, as doveadm sees it. */
async function onServer(real: Real, server: ServerRef, user: string, folder: string) {
    if (folder === BAD_NAME) return undefined; // doveadm refuses to even look it up
    return real.sandboxes[server].status(user, canonicalName(folder, "/"));
}

/**
 * No message lost unless forceDestroy was declared for its folder; canary folders untouched; and,
 * with `undeclared`, everything nobody declares is as it was: scripts (text; active state as in one
 * of `sims`, the model's expectations before and after the step), ACL and METADATA entries,
 * subscriptions.
 */
async function checkSafety(
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
            `${when}: what nobody declares changed:\n${problems.join("\n")}\n${real.project.transcript(1)}`,
        );
}

/**
 * After a fault-free `up` that succeeded: both servers hold exactly what the program declares plus
 * what nobody declares (the scripts as in one of `outcomes`), the state agrees, and a preview after
 * a refresh finds nothing to do.
 */
async function checkConverged(model: Model, real: Real, when: string, outcomes: SieveSim[]): Promise<void> {
    const fail = (what: string) => {
        throw new Error(`${when}: ${what}\n${real.project.transcript(2)}`);
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
    const state = await real.project.stateResources();
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
            fail(`set records ${names}, declared ${wanted}`);
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
    const preview = await real.project.pulumi(
        ["preview", "--refresh", "--expect-no-changes", "--non-interactive", "--stack", "test"],
        { allowFailure: true },
    );
    if (preview.code !== 0)
        fail(`preview --refresh --expect-no-changes failed:\n${preview.output.slice(-3000)}`);
    real.log(`  preview --refresh ${preview.durationMs} ms`);
}

// ---- Running `up` ----

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

/** Runs `pulumi up` of the model's program under `fault`; returns its result. */
async function up(model: Model, real: Real, fault: Fault, options: UpOptions = {}) {
    real.project.setResources(resources(model.program, options.extra));
    await noteForce(model, real);
    const run = () => real.project.up({ allowFailure: true, timeoutMs: 240_000, refresh: options.refresh });
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
async function apply(model: Model, real: Real, fault: Fault, what: string, options: ApplyOptions = {}) {
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
        const refresh = await real.project.refresh({ allowFailure: true });
        if (refresh.code !== 0)
            throw new Error(`${what}: refresh after the refusal failed:\n${refresh.output.slice(-3000)}`);
        return;
    }
    if (result.code !== 0) throw new Error(`${what}: fault-free up failed:\n${result.output.slice(-4000)}`);
    if (options.repair) {
        real.log(`  repair: refresh and up again`);
        const refresh = await real.project.refresh({ allowFailure: true });
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

// ---- Steps ----

/** Random choices a step resolves against the model it runs on. */
interface Picks {
    pick: number;
    a: number;
    b: number;
    flag: boolean;
    /** How a refused SieveScript is resolved: with adopt, made inactive, or given up (or the other script withdrawn). */
    resolve: 0 | 1 | 2;
}

/** A step: edit the program (or the server), apply it with a fault, check. */
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

class Declare extends SlotStep {
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
        delete model.program.mailboxes[this.slot];
        await deletingChange(model, real, this.slot, this.fault, `${this.toString()}: ${this.slot}`);
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
        await apply(model, real, this.fault, what, { refusal: /rejected the mailbox name \(exit 64\)/ });
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
class MoveMailbox extends SlotStep {
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
class SetEdit extends Step {
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

// ---- Steps on SieveScripts, MailboxAcls, MailboxMetadata and Subscriptions ----

/** The table of a plugin resource kind in a program. */
type PluginKind = "sieve" | "acl" | "meta" | "sub";
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

type PluginOp = "declare" | "remove" | "value" | "retarget" | "user" | "server" | "active" | "adopt";

/**
 * Declares, removes or changes one resource of a plugin kind: `value` changes what it sets (a script's
 * text, rights, a METADATA value), `retarget` what it is about (a script's name: a rename in place; an
 * ACL's identifier or mailbox, a METADATA entry, a subscribed name: a replacement), `user` its user
 * (another spelling or account), `server` its server; `active` and `adopt` toggle a SieveScript's.
 * A SieveScript made active over a script someone else made active is refused (before anything is
 * changed); the step then resolves it as `resolve` says: adopt, make it inactive, or give it up.
 */
class PluginEdit extends Step {
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
                    return [
                        { ...d, script: otherOf(SIEVE_TEXTS, (d as SieveDecl).script, p.a) } as SieveDecl,
                    ];
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
            ...SIEVE_SLOTS.flatMap((s) => (program.sieves[s] ? [program.sieves[s]!.name] : [])),
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
class Duplicate extends Step {
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
        const recorded = (await real.project.stateResources()).some((r) => r.urn.endsWith(`::${DUP}`));
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

type ForeignOp = "sieve-put" | "sieve-delete" | "acl" | "meta";

/**
 * Someone else, with doveadm, on an account the program uses: stores and activates a Sieve script of
 * their own, deletes one of theirs, sets an ACL entry or a METADATA entry. Then `up --refresh`: it
 * must leave all of it as it is, except that an active SieveScript of the program for that user,
 * which was deactivated, is refused (unless it has adopt: then it is made active again over theirs,
 * recording theirs as replaced); the step then adopts, makes it inactive, or has them withdraw theirs.
 */
class Foreign extends Step {
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

// ---- Arbitraries ----

const serverArb = fc.constantFrom<ServerRef>(...SERVERS);
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
    { weight: 5, arbitrary: fc.constant<Fault>({ kind: "none" }) },
    {
        weight: 3,
        arbitrary: fc
            .tuple(
                serverArb,
                fc.array(
                    fc.record({
                        command: fc.constantFrom(
                            "mailboxCreate",
                            "mailboxRename",
                            "mailboxDelete",
                            "mailboxStatus",
                            "mailboxSubscribe",
                            "mailboxUnsubscribe",
                            "mailboxList",
                            "sieveList",
                            "sievePut",
                            "sieveActivate",
                            "sieveDeactivate",
                            "sieveRename",
                            "sieveDelete",
                            "aclGet",
                            "aclSet",
                            "aclDelete",
                            "mailboxMetadataGet",
                            "mailboxMetadataSet",
                            "mailboxMetadataUnset",
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
                ),
            )
            .map(([server, rules]): Fault => ({ kind: "proxy", server, rules })),
    },
    {
        weight: 2,
        arbitrary: fc
            .record({
                server: serverArb,
                afterMs: fc.integer({ min: 300, max: 2500 }),
                forMs: fc.integer({ min: 300, max: 2500 }),
            })
            .map((r): Fault => ({ kind: "stop", ...r })),
    },
);

const pickArb = fc.nat(11);
const userArb = fc.constantFrom<UserRef>(...USER_REFS);
const declArb = fc.record({
    server: serverArb,
    user: userArb,
    subscribed: fc.boolean(),
    forceDestroy: fc.boolean(),
    adopt: fc.constant(false),
});
const picksArb: fc.Arbitrary<Picks> = fc.record({
    pick: fc.nat(11),
    a: fc.nat(11),
    b: fc.nat(11),
    flag: fc.boolean(),
    resolve: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
});
const pluginEdit = (kind: PluginKind, ops: PluginOp[]) =>
    fc.tuple(fc.constantFrom(...ops), picksArb, faultArb).map(([op, p, f]) => new PluginEdit(kind, op, p, f));
const EDITS: PluginOp[] = ["remove", "value", "retarget", "user", "server"];

/** The commands of the model. */
export const commandArbs: Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> = [
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
    fc.tuple(pickArb, faultArb).map(([p, f]) => new MoveMailbox(p, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new Adopt(p, f)),
    fc.tuple(pickArb, fc.integer({ min: 1, max: 2 })).map(([p, n]) => new Deliver(p, n)),
    fc
        .tuple(
            fc.oneof(
                fc.record({ op: fc.constant("declare" as const), server: serverArb }),
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
    pluginEdit("sieve", ["declare"]),
    pluginEdit("sieve", ["declare"]),
    pluginEdit("sieve", [...EDITS, "active", "active", "adopt"]),
    pluginEdit("acl", ["declare"]),
    pluginEdit("acl", EDITS),
    pluginEdit("meta", ["declare"]),
    pluginEdit("meta", EDITS),
    pluginEdit("sub", ["declare"]),
    pluginEdit("sub", ["remove", "retarget", "user", "server"]),
    fc
        .tuple(pickArb, pickArb, fc.boolean(), fc.option(pickArb, { nil: undefined }))
        .map(([p, v, first, b]) => new Duplicate(p, v, first, b)),
    fc
        .tuple(pickArb, pickArb, fc.boolean(), fc.option(pickArb, { nil: undefined }))
        .map(([p, v, first, b]) => new Duplicate(p, v, first, b)),
    fc
        .tuple(
            fc.constantFrom<ForeignOp>("sieve-put", "sieve-put", "sieve-delete", "acl", "meta"),
            picksArb,
            faultArb,
        )
        .map(([op, p, f]) => new Foreign(op, p, f)),
];

// ---- A run ----

/**
 * Starts the real system for one run: two Dovecots with plugins, canaries (folders with mail,
 * subscriptions, Sieve scripts, ACL and METADATA entries that no program declares) and Legacy, a
 * proxy in front of each, and a project that names the second server "east".
 */
export async function setup(
    log: (line: string) => void,
): Promise<{ model: Model; real: Real; stop: () => Promise<void> }> {
    const [main, east] = await Promise.all([
        startDovecot({ users: ["alice", "bob", "carol"], plugins: true }),
        startDovecot({ users: ["alice", "carol"], plugins: true }),
    ]);
    const sandboxes: Record<ServerRef, Sandbox> = { default: main, east };
    const proxies: Record<ServerRef, FaultProxy> = {
        default: await startFaultProxy({ target: main.endpoint }),
        east: await startFaultProxy({ target: east.endpoint }),
    };
    const undeclared: Undeclared = { folders: [], scripts: [], acls: [], metas: [], subs: [] };
    const sieve: SieveSim = { owners: {}, replaced: {} };
    const folders: Array<[ServerRef, string, string, number]> = [
        ["default", ALICE, "CanaryKeep", 2],
        ["default", BOB, "Canary", 1],
        ["default", CAROL, "Work", 1],
        ["default", CAROL, "Home", 1],
        ["default", ALICE, LEGACY, 1],
        ["default", ALICE, TEAM, 0],
        ["default", BOB, TEAM, 0],
        ["east", ALICE, "CanaryKeep", 1],
        ["east", CAROL, "Work", 1],
        ["east", ALICE, TEAM, 0],
    ];
    for (const [server, user, name, count] of folders) {
        await sandboxes[server].doveadm(["mailbox", "create", "-u", user, name]);
        if (count > 0) await sandboxes[server].deliver(user, name, count);
    }
    for (const { server, user } of OWNERS) await sandboxes[server].mailboxes(user); // opens every INBOX
    for (const { server, user } of OWNERS)
        for (const f of await readStatuses(sandboxes[server], user))
            if (f.name !== LEGACY) undeclared.folders.push({ server, user, ...f });
    for (const [server, user, name] of [
        ["default", ALICE, "CanaryKeep"],
        ["default", ALICE, "Old/Gone"],
        ["default", CAROL, "Work"],
        ["east", ALICE, "Old/Gone"],
    ] as const) {
        await sandboxes[server].doveadm(["mailbox", "subscribe", "-u", user, name]);
        undeclared.subs.push({ server, user, name });
    }
    for (const [server, user, name, text, active] of [
        ["default", ALICE, "keepme", "# alice's own, never active\nkeep;\n", false],
        ["default", CAROL, "carol-rules", "# carol's\nkeep;\n", true],
        ["east", CAROL, "carol-rules", "# carol's on east\nkeep;\n", true],
    ] as const) {
        await sandboxes[server].doveadm(["sieve", "put", "-u", user, ...(active ? ["-a"] : []), name], text);
        const o = ownerScripts(sieve, at(server, user));
        o.scripts[name] = text;
        if (active) o.active = name;
        undeclared.scripts.push({ server, user, name, canary: true });
    }
    for (const [server, user, mailbox, id, rights] of [
        ["default", ALICE, "INBOX", "group=canary", ["lookup", "read"]],
        ["default", CAROL, "INBOX", "group=canary", ["lookup"]],
        ["east", ALICE, TEAM, "group=canary", ["insert", "lookup"]],
    ] as const) {
        await sandboxes[server].doveadm(["acl", "set", "-u", user, mailbox, id, ...rights]);
        undeclared.acls.push({ server, user, mailbox, id, rights: [...rights] });
    }
    for (const { server, user, mailbox, key, value } of CANARY_META) {
        await sandboxes[server].doveadm(["mailbox", "metadata", "set", "-u", user, mailbox, key, value]);
        undeclared.metas.push({ server, user, mailbox, key, value });
    }
    const project = await PulumiProject.create({
        server: { endpoint: proxies.default.endpoint, apiKey: main.apiKey },
        name: "model",
    });
    await project.setConfig("dovecot:timeoutMs", "3000");
    await project.setConfig("dovecot:servers.east.endpoint", proxies.east.endpoint, { path: true });
    await project.setConfig("dovecot:servers.east.apiKey", east.apiKey, { path: true, secret: true });
    await project.setConfig("dovecot:servers.east.timeoutMs", "3000", { path: true });
    const legacy = await main.status(ALICE, LEGACY);
    const model: Model = {
        program: emptyProgram(),
        applied: emptyProgram(),
        delivered: new Map([[legacy!.guid, { server: "default", user: ALICE, count: 1 }]]),
        forceEver: new Set(),
        legacy: true,
        undeclared,
        sieve,
    };
    const real: Real = { sandboxes, proxies, project, log };
    // The world as set up is what the model says, before anything runs.
    const diff = worldDiff(expectedWorld(model, model.program, model.sieve), await readWorld(real));
    if (diff.length > 0) throw new Error(`setup: the servers are not as the model says:\n${diff.join("\n")}`);
    return {
        model,
        real,
        stop: async () => {
            project.cleanup();
            await Promise.all(Object.values(proxies).map((p) => p.close()));
            await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
        },
    };
}

/**
 * The end of every run: the program drops its scripts, ACL and METADATA entries and subscriptions
 * (all in one `up`: the scripts that adopting SieveScripts replaced are made active again in whatever
 * order the deletes ran); destroy works (refusing only folders that hold mail without forceDestroy,
 * and losing nothing), and with forceDestroy everywhere it removes every folder the program made;
 * what nobody declared is then all that is left, as it was.
 */
export async function finish(model: Model, real: Real): Promise<void> {
    model.program.sieves = {};
    model.program.acls = {};
    model.program.metas = {};
    model.program.subs = {};
    await apply(
        model,
        real,
        { kind: "none" },
        "finish: remove the scripts, ACLs, METADATA and subscriptions",
    );
    real.log("finish: destroy");
    const destroy = await real.project.destroy({ allowFailure: true, timeoutMs: 240_000 });
    if (destroy.code !== 0 && !/holds \d+ messages?/.test(destroy.output))
        throw new Error(
            `destroy failed for another reason than deletion safety:\n${destroy.output.slice(-4000)}`,
        );
    await checkSafety(model, real, "after destroy", [model.sieve], true);
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        if (m) m.forceDestroy = true;
    }
    if (model.program.set) model.program.set.forceDestroy = true;
    await apply(model, real, { kind: "none" }, "finish: forceDestroy everywhere");
    const again = await real.project.destroy({ allowFailure: true, timeoutMs: 240_000 });
    if (again.code !== 0) throw new Error(`destroy with forceDestroy failed:\n${again.output.slice(-4000)}`);
    await checkSafety(model, real, "after the final destroy", [model.sieve], false);
    if ((await real.project.stateResources()).length > 0)
        throw new Error("destroy left resources in the state");
    const diff = worldDiff(expectedWorld(model, emptyProgram(), model.sieve), await readWorld(real));
    if (diff.length > 0)
        throw new Error(
            `after the final destroy, the servers hold more or less than nobody's things:\n${diff.join("\n")}`,
        );
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
