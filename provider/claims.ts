// One target, one resource. Two resources of one program that declare the same thing on the server (a
// folder, a subscription, a Sieve script, an ACL entry, a METADATA entry) would both be applied, then
// fight: the server keeps one of them, every drift check fails, and removing one undoes what the other
// still declares. So every resource claims its targets in check(), and a second resource claiming one
// is refused, before anything is sent, with an error naming both.
//
// One run of the engine starts several provider processes: the dynamic provider host, and one `dovecot`
// plugin process per provider instance (the default one and each explicit one). Their claims meet in a
// folder of the machine's temporary directory named after the engine run (see engine.ts): each process
// appends its claims to a file of its own, then reads the others'. Of two processes claiming one target
// at once, at least the later reader sees the other's claim. A claim counts only while the process
// that wrote it lives, and only in its own engine run, so a crashed or killed run leaves nothing that
// blocks the next one; the files of processes that are gone are removed, then their folders once empty.
//
// A server is compared by what it is, its endpoint as normalized (settings.ts apiUrl), not by the name
// a program gives it: the default server and a named or explicit one at the same endpoint are one.
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UNKNOWN } from "./check";
import { serverIdentity } from "./connection";
import { engineAddress } from "./engine";

/** One thing on the server that one resource at most may declare. */
export interface Claim {
    /** What it is, as a message reads it: `the folder "Archive" of user "alice@example.org"`. */
    what: string;
    /** The key that tells it apart: kind of target, server, user (lower case) and its own names. */
    key: readonly string[];
    /** The property that declares it, where check() reports the failure. */
    property: string;
    /** Advice beyond "remove one of them" when the two resources are of different kinds. */
    hint?: string;
}

/** Who declared a target: the resource's kind and Pulumi name. */
export interface Claimant {
    /** The resource kind, as the program spells its class (`Mailbox`). */
    kind: string;
    /** The resource's Pulumi name; undefined when not known (no claim is then made). */
    name: string | undefined;
    /** Which face declared it: the dynamic resources or the `dovecot` package (default: dynamic). */
    face?: "dynamic" | "package";
}

/** A claim another resource holds. */
interface Held {
    claimant: Claimant;
    what: string;
}

/** `"name"` in messages. */
const quoted = (text: string) => JSON.stringify(text);

function identityOf(claimant: Claimant): string {
    return `${claimant.face ?? "dynamic"}\u0000${claimant.kind}\u0000${claimant.name ?? ""}`;
}

function keyOf(key: readonly string[]): string {
    return key.join("\u0000");
}

/** The key parts every target starts with: its server, as what it is, and its user in lower case. */
export function targetOf(
    kind: string,
    server: string | undefined,
    user: string,
    ...rest: string[]
): string[] {
    return [kind, serverIdentity(server), user.toLowerCase(), ...rest];
}

/** True when every value is a string known at this point (not yet known values are claimed later). */
export function known(...values: unknown[]): boolean {
    return values.every((value) => value === undefined || (typeof value === "string" && value !== UNKNOWN));
}

/** A user's folder: a Mailbox, or one folder of a FolderSet. */
export function folderClaim(server: string | undefined, user: string, name: string, property: string): Claim {
    return {
        what: `the folder ${quoted(name)} of user ${quoted(user)}`,
        key: targetOf("folder", server, user, name),
        property,
    };
}

/** A user's subscription to a name: a Subscription, or a Mailbox's or FolderSet folder's `subscribed`. */
export function subscriptionClaim(
    server: string | undefined,
    user: string,
    name: string,
    property: string,
): Claim {
    return {
        what: `the subscription of user ${quoted(user)} to ${quoted(name)}`,
        key: targetOf("subscription", server, user, name),
        property,
        hint: "a Mailbox, and a FolderSet for each of its folders, manages the folder's subscription itself (its `subscribed`): declare no Subscription for it",
    };
}

// ---- The claims of the other provider processes of this engine run. ----

/** This process as a writer of claims: its pid and start time (a pid alone may be reused). */
function startTimeOf(pid: number): string | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // Field 22, counted from after the command name, which may hold spaces and parentheses.
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    } catch {
        return undefined;
    }
}

function alive(writer: string): boolean {
    const [pidText, start] = writer.split("-");
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (start !== "x") return startTimeOf(pid) === start;
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The folder all runs' claim folders live in (one per machine user). */
function claimsRoot(): string {
    const uid = typeof process.getuid === "function" ? process.getuid() : 0;
    return path.join(os.tmpdir(), `pulumi-dovecot-claims-${uid}`);
}

/** The claims of the other provider processes of one engine run, read from their files as they grow. */
class SharedClaims {
    private readonly file: string;
    private readonly writer: string;
    private readonly offsets = new Map<string, number>();
    private readonly partial = new Map<string, string>();
    private readonly held = new Map<string, Held & { writer: string }>();
    private readonly liveness = new Map<string, boolean>();
    private opened = false;
    /** Every line this process wrote, to write them again if its file is removed. */
    private readonly written: string[] = [];

    constructor(private readonly dir: string) {
        this.writer = `${process.pid}-${startTimeOf(process.pid) ?? "x"}`;
        this.file = path.join(dir, `${this.writer}.jsonl`);
    }

    /**
     * Appends this process's claims to its file (made, with its folder, on the first claim). Another
     * run's sweep may remove the folder between its making and the first line (an empty folder is a
     * finished run's), and a cleaner of the temporary directory may remove the file: then the folder
     * is made again and the file written whole, every claim this process made in the run, so none is
     * lost to the other processes.
     */
    publish(entries: ReadonlyArray<{ key: string; claimant: Claimant; what: string }>): void {
        if (entries.length === 0) return;
        if (!this.opened) {
            this.opened = true;
            process.once("exit", () => fs.rmSync(this.file, { force: true }));
            fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
            sweep(this.dir);
        }
        const text = entries
            .map((e) => `${JSON.stringify({ k: e.key, c: e.claimant, w: e.what })}\n`)
            .join("");
        const whole = this.written.length > 0 && !fs.existsSync(this.file);
        this.written.push(text);
        if (whole) this.rewrite();
        else
            try {
                fs.appendFileSync(this.file, text, { mode: 0o600 });
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
                this.rewrite();
            }
    }

    /** Writes every claim of this process again, making the folder first (a few tries: sweeps race). */
    private rewrite(): void {
        for (let attempt = 1; ; attempt++) {
            try {
                fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
                fs.writeFileSync(this.file, this.written.join(""), { mode: 0o600 });
                return;
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 5)
                    throw new Error(
                        `could not record this run's claims in ${this.file} (${(error as Error).message}): ` +
                            `check that the temporary directory ${os.tmpdir()} is writable and not cleaned while pulumi runs, then run again`,
                    );
            }
        }
    }

    /** Reads what the other processes appended since the last look. */
    refresh(): void {
        let names: string[];
        try {
            names = fs.readdirSync(this.dir);
        } catch {
            return;
        }
        for (const name of names) {
            const file = path.join(this.dir, name);
            if (file === this.file || !name.endsWith(".jsonl")) continue;
            const writer = name.slice(0, -".jsonl".length);
            const offset = this.offsets.get(name) ?? 0;
            let chunk: Buffer;
            try {
                const fd = fs.openSync(file, "r");
                try {
                    const size = fs.fstatSync(fd).size;
                    if (size <= offset) continue;
                    chunk = Buffer.alloc(size - offset);
                    fs.readSync(fd, chunk, 0, chunk.length, offset);
                } finally {
                    fs.closeSync(fd);
                }
            } catch {
                continue;
            }
            this.offsets.set(name, offset + chunk.length);
            const text = (this.partial.get(name) ?? "") + chunk.toString("utf8");
            const lines = text.split("\n");
            this.partial.set(name, lines.pop() ?? "");
            for (const line of lines) {
                try {
                    const entry = JSON.parse(line) as { k: string; c: Claimant; w: string };
                    if (!this.held.has(entry.k))
                        this.held.set(entry.k, { claimant: entry.c, what: entry.w, writer });
                } catch {
                    // A line of another version, or torn: it claims nothing.
                }
            }
        }
    }

    /**
     * The claim of another live process of this run on `key` by someone other than `claimant`; with
     * `look` false, as of the last look (a caller asking about many keys at once looks once).
     */
    other(key: string, claimant: Claimant | undefined, look = true): Held | undefined {
        if (look) this.refresh();
        const held = this.held.get(key);
        if (!held) return undefined;
        if (claimant !== undefined && identityOf(held.claimant) === identityOf(claimant)) return undefined;
        let live = this.liveness.get(held.writer);
        if (live === undefined) {
            live = alive(held.writer);
            this.liveness.set(held.writer, live);
        }
        return live ? held : undefined;
    }
}

/**
 * Removes the claim files of other runs' writers that are gone, then their folders once empty. A
 * live writer's file is never removed, and a folder only when empty (rmdir), so a run starting in a
 * folder of the same name (its engine's port used again) keeps what it wrote; a writer whose new
 * folder goes before its first line makes it again (publish).
 */
function sweep(current: string): void {
    const root = path.dirname(current);
    let runs: string[];
    try {
        runs = fs.readdirSync(root);
    } catch {
        return;
    }
    for (const run of runs) {
        const dir = path.join(root, run);
        if (dir === current) continue;
        try {
            for (const file of fs.readdirSync(dir))
                if (!alive(file.replace(/\.jsonl$/, ""))) fs.rmSync(path.join(dir, file), { force: true });
            fs.rmdirSync(dir);
        } catch {
            // A live writer's file is still there, or another process swept it first.
        }
    }
}

/** This process's claims, and the shared ones of its engine run when it serves one. */
class Claims {
    private readonly local = new Map<string, Held>();
    private shared: SharedClaims | undefined | null = null;

    private sharedClaims(): SharedClaims | undefined {
        if (this.shared === null) {
            const engine = engineAddress();
            this.shared =
                engine === undefined
                    ? undefined
                    : new SharedClaims(
                          path.join(
                              claimsRoot(),
                              createHash("sha256").update(engine).digest("hex").slice(0, 24),
                          ),
                      );
        }
        return this.shared;
    }

    /**
     * Claims `targets` for `claimant`; returns a check() failure for each target another resource of
     * the program claimed first (naming both). A resource may claim its own targets again.
     */
    claim(claimant: Claimant, targets: readonly Claim[]): pulumi.dynamic.CheckFailure[] {
        if (claimant.name === undefined) return [];
        const shared = this.sharedClaims();
        const mine = identityOf(claimant);
        const fresh: Array<{ key: string; claimant: Claimant; what: string }> = [];
        const conflicts: Array<{ target: Claim; other: Held }> = [];
        for (const target of targets) {
            const key = keyOf(target.key);
            const held = this.local.get(key);
            if (held === undefined) {
                this.local.set(key, { claimant, what: target.what });
                fresh.push({ key, claimant, what: target.what });
            } else if (identityOf(held.claimant) !== mine) conflicts.push({ target, other: held });
        }
        // Written before the others are read: of two processes claiming at once, the later reader sees it.
        shared?.publish(fresh);
        if (shared) {
            shared.refresh();
            for (const target of targets) {
                const other = shared.other(keyOf(target.key), claimant, false);
                if (!other) continue;
                conflicts.push({ target, other });
                // Refused: it stays the other's here too (its own file cannot take the line back).
                if (identityOf(this.local.get(keyOf(target.key))?.claimant ?? other.claimant) === mine)
                    this.local.delete(keyOf(target.key));
            }
        }
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const named = new Set<string>();
        for (const { target, other } of conflicts) {
            // One message per other resource: a second Mailbox of a folder also claims its subscription.
            const otherId = identityOf(other.claimant);
            if (named.has(otherId)) continue;
            named.add(otherId);
            failures.push({
                property: target.property,
                reason:
                    `the ${describe(claimant, other.claimant)} declares ${target.what}, which the ` +
                    `${describe(other.claimant, claimant)} of this program declares too; one resource only may ` +
                    `manage it, or the server keeps one of the two and every run undoes the other: remove one of them` +
                    (target.hint && other.claimant.kind !== claimant.kind ? ` (${target.hint})` : ""),
            });
        }
        return failures;
    }

    /**
     * The resource of this run, other than `claimant` (when known), that declares the target `key`;
     * undefined when none does. A resource being deleted uses it to leave alone what another declares.
     */
    declaredElsewhere(key: readonly string[], claimant?: Claimant): Claimant | undefined {
        const k = keyOf(key);
        const held = this.local.get(k);
        if (held && (claimant === undefined || identityOf(held.claimant) !== identityOf(claimant)))
            return held.claimant;
        return this.sharedClaims()?.other(k, claimant)?.claimant;
    }

    forget(): void {
        this.local.clear();
        this.shared = null;
    }
}

/** `Mailbox "x"`, with the face named when the other resource has the same kind and name on the other. */
function describe(claimant: Claimant, other: Claimant): string {
    const sameName = claimant.kind === other.kind && claimant.name === other.name;
    const face = sameName
        ? (claimant.face ?? "dynamic") === "dynamic"
            ? " (dynamic resource)"
            : " (dovecot package)"
        : "";
    return `${claimant.kind} ${quoted(claimant.name ?? "")}${face}`;
}

const claims = new Claims();

/**
 * Claims `targets` for `claimant`; returns a check() failure for each target another resource of the
 * program (in this process or another of the same engine run) claimed first, naming both.
 */
export function claim(claimant: Claimant, targets: readonly Claim[]): pulumi.dynamic.CheckFailure[] {
    return claims.claim(claimant, targets);
}

/** The other resource of this engine run that declares `target`, if any (see Claims.declaredElsewhere). */
export function declaredElsewhere(target: Claim, claimant?: Claimant): Claimant | undefined {
    return claims.declaredElsewhere(target.key, claimant);
}

/** How a message names a resource: `the Mailbox "box"`. */
export function nameOfClaimant(claimant: Claimant): string {
    return `the ${claimant.kind} ${quoted(claimant.name ?? "")}`;
}

/** Forgets every claim (for tests that run several programs in one process). */
export function forgetClaims(): void {
    claims.forget();
}
