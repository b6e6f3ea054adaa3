// The world as facts: what the servers hold (folders, subscriptions, scripts, ACL and METADATA
// entries, as `kind|server|account|...` keys) read with doveadm, never with the code under test;
// the world the model expects for a program; and the difference of the two, one line per fact. Every
// check compares worlds, so reading and expecting live together and cannot drift apart.
import { canonicalName } from "../../provider/names";
import { Sandbox } from "../harness/dovecot";
import {
    ACL_SLOTS,
    ALICE,
    CANARY_META,
    CAROL,
    FOREIGN_META_TARGETS,
    LEGACY,
    META_SLOTS,
    META_TARGETS,
    OWNERS,
    SUB_SLOTS,
    ServerRef,
    TEAM,
    at,
    whereOf,
} from "./universe";
import { Program, declaredFolders } from "./program";
import { SieveSim } from "./sieve";
import { Model, Real } from "./model";

/** Runs `tasks` with at most `limit` at a time (doveadm is a process per call). */
export async function inParallel(tasks: Array<() => Promise<void>>, limit = 4): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * What the servers hold, as `kind|server|account|...` keys with values: folders, subscriptions,
 * scripts (active state and text), ACL entries (rights) and METADATA entries (value), of every
 * account in OWNERS (folders of the shared namespace left out: they are other users' folders).
 */
export type World = Map<string, string>;

export const scriptFact = (active: boolean, text: string) =>
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
export async function readStatuses(s: Sandbox, user: string) {
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
export async function readWorld(real: Real): Promise<World> {
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
export async function readFacts(real: Real, keys: readonly string[]): Promise<World> {
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
export function expectedWorld(model: Readonly<Model>, program: Program, sim: SieveSim): World {
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
export function worldDiff(expected: World, actual: World): string[] {
    const lines: string[] = [];
    for (const [key, value] of expected) {
        if (!actual.has(key)) lines.push(`missing   ${key} = ${value}`);
        else if (actual.get(key) !== value) lines.push(`changed   ${key}: ${value} -> ${actual.get(key)}`);
    }
    for (const [key, value] of actual) if (!expected.has(key)) lines.push(`unexpected ${key} = ${value}`);
    return lines;
}
