// A throwaway Dovecot for tests, the demo and the benchmark: its own config, users and mail in a
// temporary folder, listening on free loopback ports only, stopped (and the folder removed) by stop().
// The server's state is checked through the `doveadm` command line (which reads the mail storage
// directly, not through the HTTP API under test) and through a real IMAP client.
//
// Two Dovecot versions are supported, chosen by `SandboxOptions.version` or the DOVECOT_VERSION
// environment variable (default 2.3):
// - 2.3: the host's Dovecot 2.3.19.1 (Debian 12 packages), run directly.
// - 2.4: Dovecot 2.4.1 from a Debian 13 root made by scripts/install-dovecot24.sh (never installed on
//   the host). Every Dovecot binary (dovecot, doveadm) runs `chroot`ed into that root, inside its own
//   private mount namespace (`unshare --mount`) in which the sandbox folder is bind-mounted into the
//   root at the same absolute path, /proc is mounted and a fresh tmpfs covers the root's /tmp. So the
//   paths in the config, the log and the tests are the same inside and outside, and no mount is ever
//   visible on the host or left behind: the namespace, and its mounts, go away with the last process
//   in it (the server's, when it stops; a doveadm call's, when it exits).
//
// A sandbox can also play one part of a proxied fleet (see `doveadmListener` and `proxyTo`): backends
// that hold the mail and accept doveadm commands on a doveadm protocol TCP listener, and a proxy whose
// passdb sends each user's mail commands to that user's backend.
//
// With `plugins`, a sandbox also runs Sieve (delivery through `dovecot-lda`: `deliverLda`), ACLs with a
// shared namespace, METADATA and quota, so the doveadm sieve*, acl*, mailboxMetadata* and quota*
// commands work (test/server/plugins-harness.test.ts records what they answer on 2.3 and 2.4).
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
    chmodSync,
    chownSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    realpathSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { DatabaseSync } from "node:sqlite";
import {
    MAIL_UID,
    ServerConfig,
    UserDatabase,
    configText,
    sharedDictDir,
    sqlConfPath,
    sqlConfText,
    usersDbPath,
} from "./dovecot-config";
import { freePort, portAnswers, releasePort } from "./ports";
import { isAlive, registerSandbox } from "./processes";
import { REPO_ROOT } from "./repo";
import { sleep, waitFor } from "./waits";

export { freePort, releasePort };

const run = promisify(execFile);

/** The Dovecot versions the sandbox can run. */
export type DovecotVersion = "2.3" | "2.4";

/** Options for a sandbox server. */
export interface SandboxOptions {
    /** The Dovecot version to run; default: the DOVECOT_VERSION environment variable, else 2.3. */
    version?: DovecotVersion;
    /** Local parts of the users to create, all in the example.org domain. */
    users?: string[];
    /**
     * Lines added to the generated dovecot.conf (for example `doveadm_allowed_commands = ...`), in 2.3
     * syntax. For 2.4 a `doveadm_allowed_commands = a b,c d` line is rewritten to 2.4's syntax (a list
     * of names with spaces must be a block there); other lines are passed as they are.
     */
    extraConfig?: string[];
    /** A folder to hold the server's files instead of a new temporary one (kept on stop). */
    dir?: string;
    /** Set the doveadm API key but no doveadm password (or the other way round). */
    auth?: "both" | "apiKey" | "password" | "none";
    /**
     * The `doveadm_password` to use instead of a random one. A proxy authenticates to its backends'
     * doveadm listeners with its own doveadm_password, so a proxy and its backends must share one.
     */
    password?: string;
    /** The `doveadm_api_key` to use instead of a random one. */
    apiKey?: string;
    /**
     * Also listen for the doveadm protocol (what a proxy, or `doveadm -S`, speaks; not HTTP) on a free
     * port of 127.0.0.1, given as `Sandbox.doveadmPort`: what makes the server a backend for a proxy.
     */
    doveadmListener?: boolean;
    /**
     * Make the server a doveadm proxy: each listed user's mail commands (from the HTTP API or the
     * doveadm command line) are run on the given backend instead of here. The users are added to the
     * server's users (after `users`, which default to none then) with passdb extra fields
     * `proxy=y host=<host> port=<port>`; a user not listed is served by this server itself.
     */
    proxyTo?: ProxyRoute[];
    /**
     * Load the plugins behind Sieve, ACLs, METADATA and quota, each in the version's own syntax (see
     * `pluginLines` and `pluginLines24`): Pigeonhole Sieve with per-user scripts in the home (`~/sieve`,
     * active one linked at `~/.dovecot.sieve`) run by `dovecot-lda` (see `Sandbox.deliverLda`); the
     * `acl` plugin (vfile: a `dovecot-acl` file per mailbox) and `imap_acl`, with a shared namespace
     * `shared/<owner>/` whose listing comes from a shared-mailboxes dictionary in the sandbox folder;
     * `mail_attribute_dict` in the user's home (a file dict) for METADATA; and the `quota` plugin
     * (`imap_quota` too) with a 10 MB storage limit per user, counted by the `count` driver.
     */
    plugins?: boolean;
    /**
     * Where the users are: a passwd-file (the default), or an SQLite database that Dovecot's SQL driver
     * reads (`dovecot-sqlite`), for passdb and userdb alike. With `sql`, `iterate` (default true) sets the
     * userdb's `iterate_query`, and `fields` names columns the userdb's query returns beside home, uid and
     * gid (see UserDatabase); `Sandbox.addUser` gives them values. Not for a proxy.
     */
    userdb?: { driver: "passwd-file" } | { driver: "sql"; iterate?: boolean; fields?: string[] };
}

/** Where a proxy sandbox sends some users' mail commands. */
export interface ProxyRoute {
    /** The users: local parts (in example.org) or full names. */
    users: string[];
    /** The backend's address; default 127.0.0.1. Must be an IP address for Dovecot 2.4. */
    host?: string;
    /** The backend's doveadm protocol port (its `Sandbox.doveadmPort`). */
    port: number;
}

/** One test user of the sandbox. */
export interface SandboxUser {
    /** The login name, `local@example.org`. */
    name: string;
    /** The IMAP password. */
    password: string;
}

/** A running sandbox Dovecot. */
export interface Sandbox {
    /** The folder that holds config, users, mail, logs and sockets. */
    dir: string;
    /** The generated dovecot.conf. */
    configPath: string;
    /** `http://127.0.0.1:<port>`, the doveadm HTTP listener. */
    endpoint: string;
    /** The `doveadm_api_key` of the server. */
    apiKey: string;
    /** The `doveadm_password` of the server (HTTP user `doveadm`). */
    password: string;
    /** The IMAP port on 127.0.0.1. */
    imapPort: number;
    /** The doveadm HTTP port on 127.0.0.1. */
    httpPort: number;
    /** The doveadm protocol port on 127.0.0.1, when started with `doveadmListener`. */
    doveadmPort: number | undefined;
    /**
     * The users the server knows. On a proxy this includes the proxied users, whose IMAP logins do not
     * work there (the login proxy would use the `port` field too, which is the backend's doveadm port).
     */
    users: SandboxUser[];
    /**
     * Runs the `doveadm` command line against this server's config, with `input` on its standard input
     * (a script for `sieve put`, say); rejects on a non-zero exit.
     */
    doveadm(args: string[], input?: string): Promise<string>;
    /** Runs `doveadm` and returns its exit code and output instead of rejecting. */
    doveadmResult(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
    /** Names of a user's mailboxes, read from the storage by `doveadm mailbox list`. */
    listMailboxes(user: string): Promise<string[]>;
    /** Names a user is subscribed to, read by `doveadm mailbox list -s`. */
    listSubscriptions(user: string): Promise<string[]>;
    /**
     * Every mailbox of a user with its GUID and message count (`doveadm mailbox status ... '*'`), for
     * finding mailboxes by GUID. Opens INBOX first: a user whose mail folder was never opened lists
     * nothing for `*`.
     */
    mailboxes(user: string): Promise<Array<{ name: string; guid: string; messages: number }>>;
    /** `doveadm mailbox status` of one mailbox, or undefined when it does not exist. */
    status(user: string, mailbox: string): Promise<{ guid: string; messages: number } | undefined>;
    /** Delivers `count` small messages into a mailbox with `doveadm save`. */
    deliver(user: string, mailbox: string, count: number): Promise<void>;
    /**
     * Delivers one raw message (RFC 5322 text; LF line ends are fine) to a user with `dovecot-lda -d`
     * and the sandbox's config, as a mail server's local delivery would: with `plugins`, the user's
     * active Sieve script decides where it goes (else INBOX). Rejects on a non-zero exit (67: unknown
     * user, 75: temporary failure) with LDA's stderr.
     */
    deliverLda(user: string, message: string): Promise<void>;
    /** Stops the server process but keeps its files, so it can be started again. */
    stopServer(): Promise<void>;
    /** Starts the server again after stopServer(), on the same ports. */
    startServer(): Promise<void>;
    /**
     * Adds a user to the user database (a passwd-file's change is seen about a second later; this
     * waits for that), with `fields` as userdb fields: in a passwd-file `userdb_<name>=<value>` in the
     * extra fields, in SQL the values of the columns of `SandboxOptions.userdb.fields`.
     */
    addUser(local: string, fields?: Record<string, string>): Promise<SandboxUser>;
    /** Removes a user from the user database; their mail stays on disk. */
    removeUser(name: string): Promise<void>;
    /** The server's log so far. */
    log(): string;
    /** Stops the server and removes its folder. */
    stop(): Promise<void>;
}

/**
 * Waits until the server's log contains `text` (its log process writes a line a moment after the
 * answer); throws if it does not come. The bound is only against a hang: 20 s, room for a loaded machine.
 */
export async function logged(sandbox: Pick<Sandbox, "log">, text: string | RegExp): Promise<void> {
    const has = () => (typeof text === "string" ? sandbox.log().includes(text) : text.test(sandbox.log()));
    await waitFor(`${String(text)} in the log`, has, { timeoutMs: 20_000 }).catch(() => {
        throw new Error(`the server's log has no ${String(text)} after 20 s:\n${sandbox.log().slice(-4000)}`);
    });
}

/** The version a sandbox runs: the option, else DOVECOT_VERSION, else 2.3. */
export function dovecotVersion(options: SandboxOptions = {}): DovecotVersion {
    const version = options.version ?? (process.env.DOVECOT_VERSION || "2.3");
    if (version !== "2.3" && version !== "2.4")
        throw new Error(`DOVECOT_VERSION must be 2.3 or 2.4, not ${JSON.stringify(version)}`);
    return version;
}

/**
 * The Debian 13 root holding Dovecot 2.4: DOVECOT24_ROOT, else the project's .cache/debian13-dovecot24
 * (a link made by scripts/install-dovecot24.sh).
 */
export function dovecot24Root(): string {
    const root = process.env.DOVECOT24_ROOT || path.join(REPO_ROOT, ".cache", "debian13-dovecot24");
    if (!existsSync(path.join(root, "usr", "sbin", "dovecot")))
        throw new Error(`no Dovecot 2.4 root at ${root}: run \`bash scripts/install-dovecot24.sh\` first`);
    return realpathSync(root);
}

// Runs "$@" chrooted into $1 in a private mount namespace (started by `unshare --mount`) that shows the
// host folder $2 at the same path inside the root. /proc is needed by Dovecot (/dev/fd and friends);
// the tmpfs on the root's /tmp both gives the mount point a place that vanishes with the namespace and
// keeps the root's own /tmp clean. A folder outside /tmp gets a (persistent, empty) mount point in the
// root. The bind is recursive, so a file system mounted below the sandbox folder before the server starts
// (test/harness/small-disk.ts) is seen inside too.
const IN_ROOT_SCRIPT = [
    "set -e",
    "root=$1 dir=$2; shift 2",
    'mount -t proc proc "$root/proc"',
    'mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"',
    'mkdir -p "$root$dir"',
    'mount --rbind "$dir" "$root$dir"',
    'exec chroot "$root" "$@"',
].join("\n");

/** The file and arguments that run a Dovecot binary of `version` for the sandbox in `dir`. */
export function dovecotCommand(
    version: DovecotVersion,
    dir: string,
    binary: string,
    args: string[],
): [string, string[]] {
    if (version === "2.3") return [binary, args];
    return [
        "unshare",
        [
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            IN_ROOT_SCRIPT,
            "sh",
            dovecot24Root(),
            dir,
            binary,
            ...args,
        ],
    ];
}

/** A passwd-file line; `extraFields` (space-separated `key=value`) is the passdb's extra fields column. */
function userLine(user: SandboxUser, home: string, extraFields = ""): string {
    return `${user.name}:{PLAIN}${user.password}:${MAIL_UID}:${MAIL_UID}::${home}::${extraFields}`;
}

/** The full user name for a local part or a full name. */
function userName(user: string): string {
    return user.includes("@") ? user : `${user}@example.org`;
}

/**
 * The passdb extra fields that make a user proxied to a backend's doveadm listener. Both 2.3 and 2.4
 * (src/doveadm/doveadm-mail-server.c) look the user up in the passdb when `doveadm_port` is set, and
 * forward the command when the answer has `proxy`, to `host` (2.4: an IP address, or `hostip`) on
 * `port`, which defaults to `doveadm_port`: so backends on one address with different ports work.
 */
function proxyFields(route: ProxyRoute): string {
    return `proxy=y host=${route.host ?? "127.0.0.1"} port=${route.port}`;
}

/** How long Dovecot may take to see a change of the passwd-file: it looks at most once a second. */
const PASSWD_FILE_SETTLE_MS = 1_100;

/** One sandbox server's fixed facts: its version, folder, ports, secrets and config file. */
interface Server extends ServerConfig {
    /** The generated dovecot.conf. */
    configPath: string;
    /** The password its doveadm listener checks ("" when the server sets no doveadm_password). */
    doveadmPassword: string;
    /** Whether stop() removes the folder: it was made for the server, not given in the options. */
    ownsDir: boolean;
}

/** The user database a sandbox's options ask for. */
function userDatabaseOf(options: SandboxOptions): UserDatabase {
    const db = options.userdb ?? { driver: "passwd-file" };
    if (db.driver === "passwd-file") return db;
    if (options.proxyTo) throw new Error("a proxy sandbox keeps its users in a passwd-file");
    return { driver: "sql", iterate: db.iterate ?? true, fields: db.fields ?? [] };
}

/**
 * Starts a sandbox Dovecot, once: a start that fails is not tried again on other ports, since that
 * would hide whatever made it fail (freePort's claims keep other tests off its ports). It stops what
 * it started, lets go of its ports and its directory, and throws with the server's own words.
 */
export async function startDovecot(options: SandboxOptions = {}): Promise<Sandbox> {
    const version = dovecotVersion(options);
    if (version === "2.4") dovecot24Root(); // fails early, with a hint, when the root is missing
    const dir = makeFolder(options);
    const server: Server = {
        version,
        dir,
        configPath: path.join(dir, "dovecot.conf"),
        ...(await claimPorts(options)),
        ...secrets(options),
        userdb: userDatabaseOf(options),
        ownsDir: options.dir === undefined,
    };
    const users = writeUsers(server, options);
    writeConfig(server, options);
    try {
        await startServer(server);
    } catch (error) {
        await stopServer(server).catch(() => undefined);
        release(server);
        throw error;
    }
    return sandboxOf(server, users);
}

/** The sandbox folder, `options.dir` or a new temporary one, readable by Dovecot's processes. */
function makeFolder(options: SandboxOptions): string {
    const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "dovecot-"));
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    return dir;
}

/** Free loopback ports for the IMAP and doveadm HTTP listeners, and the doveadm one if asked for. */
async function claimPorts(
    options: SandboxOptions,
): Promise<Pick<Server, "imapPort" | "httpPort" | "doveadmPort">> {
    const imapPort = await freePort();
    const httpPort = await freePort();
    const doveadmPort = options.doveadmListener ? await freePort() : undefined;
    return { imapPort, httpPort, doveadmPort };
}

/** The API key and doveadm password, given or random, and the password a doveadm listener checks. */
function secrets(options: SandboxOptions): Pick<Server, "apiKey" | "password" | "doveadmPassword"> {
    const apiKey = options.apiKey ?? randomBytes(18).toString("base64url");
    const password = options.password ?? randomBytes(18).toString("base64url");
    const auth = options.auth ?? "both";
    return { apiKey, password, doveadmPassword: auth === "both" || auth === "password" ? password : "" };
}

/** The server's users and their homes, kept in its user database (a passwd-file, or SQL). */
abstract class UserStore {
    /** The users, in the order they were added (the Sandbox's `users`). */
    readonly users: SandboxUser[] = [];

    constructor(protected readonly dir: string) {
        mkdirSync(this.homes, { recursive: true });
    }

    protected get homes(): string {
        return path.join(this.dir, "home");
    }

    /** How long Dovecot may take to see a change. */
    abstract readonly settleMs: number;

    /**
     * Adds a user with a random password and an empty home owned by the mail user; with `extraFields`,
     * one the passdb proxies (a passwd-file only); `fields` are userdb fields (see Sandbox.addUser).
     */
    add(local: string, options: { extraFields?: string; fields?: Record<string, string> } = {}): SandboxUser {
        const user = { name: userName(local), password: randomBytes(9).toString("base64url") };
        const home = path.join(this.homes, user.name);
        mkdirSync(home, { recursive: true });
        chownSync(home, MAIL_UID, MAIL_UID);
        this.insert(user, home, options);
        this.users.push(user);
        return user;
    }

    /** Removes a user; their mail stays on disk. */
    remove(name: string): void {
        const index = this.users.findIndex((u) => u.name === name);
        if (index >= 0) this.users.splice(index, 1);
        this.delete(name);
    }

    protected abstract insert(
        user: SandboxUser,
        home: string,
        options: { extraFields?: string; fields?: Record<string, string> },
    ): void;

    protected abstract delete(name: string): void;
}

/** The server's passwd-file (its passdb and userdb). */
class PasswdFile extends UserStore {
    /** Dovecot looks at the file at most once a second. */
    readonly settleMs = PASSWD_FILE_SETTLE_MS;
    /** The extra fields column of each user, by name. */
    private readonly extra = new Map<string, string>();
    private readonly homeOf = new Map<string, string>();
    /** While the sandbox's first users are added: the file is written once, after them (writeUsers). */
    populating = true;

    protected insert(
        user: SandboxUser,
        home: string,
        options: { extraFields?: string; fields?: Record<string, string> },
    ): void {
        const userdb = Object.entries(options.fields ?? {}).map(([k, v]) => `userdb_${k}=${v}`);
        this.extra.set(user.name, [options.extraFields ?? "", ...userdb].filter((f) => f !== "").join(" "));
        this.homeOf.set(user.name, home);
        if (!this.populating) this.write([...this.users, user]);
    }

    protected delete(name: string): void {
        this.extra.delete(name);
        this.homeOf.delete(name);
        this.write(this.users);
    }

    /** Writes the file with `users`. */
    write(users: SandboxUser[] = this.users): void {
        const text = users.map((u) => userLine(u, this.homeOf.get(u.name) ?? "", this.extra.get(u.name)));
        writeFileSync(path.join(this.dir, "users"), users.length > 0 ? `${text.join("\n")}\n` : "", {
            mode: 0o644,
        });
    }
}

/** How long a write to the SQLite user database waits for Dovecot's readers to let go. */
const SQL_BUSY_TIMEOUT_MS = 10_000;

/**
 * The server's SQLite user database (`users.db`, table `users`), which Dovecot's SQL driver reads on
 * every lookup (so a change is seen at once). Written with Node's own `node:sqlite`.
 */
class SqlUsers extends UserStore {
    readonly settleMs = 0;

    constructor(
        dir: string,
        private readonly fields: string[],
    ) {
        super(dir);
        const extra = fields.filter((f) => f !== "password").map((f) => `, ${f} TEXT`);
        this.run(
            `CREATE TABLE IF NOT EXISTS users (userid TEXT PRIMARY KEY, password TEXT NOT NULL, home TEXT NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL${extra.join("")})`,
        );
        chmodSync(usersDbPath(dir), 0o644);
    }

    protected insert(user: SandboxUser, home: string, options: { fields?: Record<string, string> }): void {
        const fields = Object.entries(options.fields ?? {});
        const unknown = fields.filter(([k]) => !this.fields.includes(k) || k === "password");
        if (unknown.length > 0)
            throw new Error(
                `no userdb column for ${unknown.map(([k]) => k).join(", ")} (SandboxOptions.userdb.fields)`,
            );
        const columns = ["userid", "password", "home", "uid", "gid", ...fields.map(([k]) => k)];
        const values = [user.name, user.password, home, MAIL_UID, MAIL_UID, ...fields.map(([, v]) => v)];
        this.run(
            `INSERT INTO users (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
            values,
        );
    }

    protected delete(name: string): void {
        this.run(`DELETE FROM users WHERE userid = ?`, [name]);
    }

    /** Runs one statement on a connection of its own, closed after (Dovecot reads the file meanwhile). */
    private run(sql: string, values: Array<string | number> = []): void {
        // Loaded here, not at the top: only a sandbox with an SQL user database needs it (Node 22.13+).
        const { DatabaseSync: Database } = require("node:sqlite") as { DatabaseSync: typeof DatabaseSync };
        const db = new Database(usersDbPath(this.dir));
        try {
            // Dovecot's auth worker may be reading the file this moment (it holds a shared lock while a
            // lookup's result is open): wait for it, as Dovecot's own driver waits for a writer.
            db.exec(`PRAGMA busy_timeout = ${SQL_BUSY_TIMEOUT_MS}`);
            db.prepare(sql).run(...values);
        } finally {
            db.close();
        }
    }
}

/** The users the options ask for: `users` (alice and bob unless given; none on a proxy), then the proxied ones. */
function writeUsers(server: Server, options: SandboxOptions): UserStore {
    const db = server.userdb;
    const store = db.driver === "sql" ? new SqlUsers(server.dir, db.fields) : new PasswdFile(server.dir);
    for (const local of options.users ?? (options.proxyTo ? [] : ["alice", "bob"])) store.add(local);
    for (const route of options.proxyTo ?? [])
        for (const name of route.users) store.add(name, { extraFields: proxyFields(route) });
    if (store instanceof PasswdFile) {
        store.populating = false;
        store.write();
    }
    return store;
}

/**
 * Writes dovecot.conf (with `plugins`, also the folder of the shared-mailboxes dictionary) and records
 * it, so that the end of the suite can tell whether the server still runs.
 */
function writeConfig(server: Server, options: SandboxOptions): void {
    if (options.plugins) {
        // The mail processes (running as the mail user) write the shared-mailboxes dictionary.
        mkdirSync(sharedDictDir(server.dir), { recursive: true });
        chownSync(sharedDictDir(server.dir), MAIL_UID, MAIL_UID);
    }
    const sqlConf = sqlConfText(server);
    if (sqlConf !== undefined) writeFileSync(sqlConfPath(server.dir), sqlConf, { mode: 0o644 });
    writeFileSync(server.configPath, configText(server, options));
    registerSandbox(server.configPath);
}

/**
 * Runs a Dovecot binary of the server's version, its standard input read from `inputFile` if given;
 * rejects on a non-zero exit or after 30 s.
 */
function runBinary(server: Server, binary: string, args: string[], inputFile?: string) {
    const [file, fileArgs] = dovecotCommand(server.version, server.dir, binary, args);
    return inputFile === undefined
        ? run(file, fileArgs, { timeout: 30_000 })
        : run("sh", ["-c", `f=$0; exec "$@" < "$f"`, inputFile, file, ...fileArgs], { timeout: 30_000 });
}

/**
 * Calls `use` with a new file holding `text`, in the sandbox folder (which a 2.4 binary's root shows
 * at the same path), and removes the file after.
 */
async function withTextFile<T>(
    dir: string,
    stem: string,
    text: string,
    use: (file: string) => Promise<T>,
): Promise<T> {
    const file = path.join(dir, `${stem}-${randomBytes(4).toString("hex")}`);
    writeFileSync(file, text);
    try {
        return await use(file);
    } finally {
        rmSync(file, { force: true });
    }
}

/** Runs `doveadm` with the server's config and `input` on its standard input; never rejects. */
async function doveadmResult(
    server: Server,
    args: string[],
    input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
    const argv = ["-c", server.configPath, ...args];
    try {
        const { stdout, stderr } =
            input === undefined
                ? await runBinary(server, "doveadm", argv)
                : await withTextFile(server.dir, "in", input, (file) =>
                      runBinary(server, "doveadm", argv, file),
                  );
        return { code: 0, stdout, stderr };
    } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return {
            code: typeof e.code === "number" ? e.code : -1,
            stdout: e.stdout ?? "",
            stderr: e.stderr ?? "",
        };
    }
}

/** Runs `doveadm` like doveadmResult; rejects on a non-zero exit, else answers its standard output. */
async function doveadmOutput(server: Server, args: string[], input?: string): Promise<string> {
    const result = await doveadmResult(server, args, input);
    if (result.code !== 0)
        throw new Error(`doveadm ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
}

/** The non-empty lines of a command's output. */
function lines(text: string): string[] {
    return text.split("\n").filter((l) => l.length > 0);
}

/** The rows of doveadm's `-f tab` output, each a lookup by column name ("" for a missing one). */
function tabRows(text: string): Array<(column: string) => string> {
    const [header, ...rows] = lines(text);
    const keys = (header ?? "").split("\t");
    return rows.map((line) => {
        const row = line.split("\t");
        return (column) => row[keys.indexOf(column)] ?? "";
    });
}

/** The arguments of `doveadm -f tab mailbox status` for the GUID and message count of what `mask` matches. */
function statusArgs(user: string, mask: string): string[] {
    // "--": a mailbox name may start with "-", which doveadm would take for an option.
    return ["-f", "tab", "mailbox", "status", "-u", user, "--", "guid messages", mask];
}

/** Every mailbox of a user with its GUID and message count (INBOX opened first, see Sandbox.mailboxes). */
async function mailboxes(
    server: Server,
    user: string,
): Promise<Array<{ name: string; guid: string; messages: number }>> {
    await doveadmOutput(server, ["mailbox", "status", "-u", user, "messages", "INBOX"]);
    const out = await doveadmOutput(server, statusArgs(user, "*"));
    return tabRows(out).map((get) => ({
        name: get("mailbox"),
        guid: get("guid"),
        messages: Number(get("messages")),
    }));
}

/** `doveadm mailbox status` of one mailbox, or undefined when it does not exist (exit 68). */
async function mailboxStatus(
    server: Server,
    user: string,
    mailbox: string,
): Promise<{ guid: string; messages: number } | undefined> {
    const result = await doveadmResult(server, statusArgs(user, mailbox));
    if (result.code === 68) return undefined;
    if (result.code !== 0) throw new Error(`doveadm mailbox status exited ${result.code}: ${result.stderr}`);
    const get = tabRows(result.stdout)[0] ?? (() => "");
    return { guid: get("guid"), messages: Number(get("messages")) };
}

/** Saves `count` small messages into a mailbox with `doveadm save` (which reads one from stdin). */
async function deliver(server: Server, user: string, mailbox: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
        const message = `From: test@example.org\r\nTo: ${user}\r\nSubject: message ${i}\r\nMessage-ID: <${randomBytes(8).toString("hex")}@example.org>\r\n\r\nbody ${i}\r\n`;
        await withTextFile(server.dir, "msg", message, (file) =>
            runBinary(server, "doveadm", ["-c", server.configPath, "save", "-u", user, "-m", mailbox], file),
        );
    }
}

/** Delivers one raw message with `dovecot-lda -d` (see Sandbox.deliverLda). */
async function deliverLda(server: Server, user: string, message: string): Promise<void> {
    const args = ["-c", server.configPath, "-d", userName(user), "-f", "sender@example.org"];
    try {
        await withTextFile(server.dir, "lda", message, (file) =>
            runBinary(server, "/usr/lib/dovecot/dovecot-lda", args, file),
        );
    } catch (error) {
        const e = error as { code?: number; stderr?: string };
        throw new Error(`dovecot-lda -d ${userName(user)} exited ${e.code}: ${e.stderr ?? ""}`);
    }
}

/** The server's log so far ("" before it wrote one). */
function readLog(dir: string): string {
    const file = path.join(dir, "dovecot.log");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/**
 * Starts the server's master process and waits until its listeners answer; throws with the server's
 * own words (doveconf's for a config it refuses, the log's tail otherwise).
 */
async function startServer(server: Server): Promise<void> {
    const code = await runMaster(server);
    if (code !== 0) {
        const errors = await configErrors(server);
        throw new Error(
            `dovecot -c ${server.configPath} exited ${code}: ${errors}${readLog(server.dir).slice(-2000)}`,
        );
    }
    try {
        await waitUntilAnswering(server);
    } catch (error) {
        throw new Error(
            `dovecot -c ${server.configPath}: ${(error as Error).message}\n${readLog(server.dir).slice(-2000)}`,
        );
    }
}

/** Runs `dovecot`, which starts the master in the background and exits; answers its exit code. */
function runMaster(server: Server): Promise<number | null> {
    // The daemon may keep inherited pipes open, so give it none and read failures from its log.
    return new Promise((resolve, reject) => {
        const [file, args] = dovecotCommand(server.version, server.dir, "dovecot", ["-c", server.configPath]);
        const child = spawn(file, args, { stdio: "ignore" });
        child.on("error", reject);
        child.on("exit", resolve);
    });
}

/** What doveconf says of the config: config errors go to stderr, not to the log. */
function configErrors(server: Server): Promise<string> {
    return runBinary(server, "doveconf", ["-n", "-c", server.configPath]).then(
        () => "",
        (error: { stderr?: string }) => error.stderr ?? "",
    );
}

/** Waits, at most 15 s for each, until the doveadm HTTP, IMAP and doveadm listeners answer. */
async function waitUntilAnswering(server: Server): Promise<void> {
    const { httpPort, imapPort, doveadmPort } = server;
    await waitFor("the doveadm HTTP listener", () => portAnswers(httpPort), { timeoutMs: 15_000 });
    await waitFor("the IMAP listener", () => portAnswers(imapPort), { timeoutMs: 15_000 });
    if (doveadmPort !== undefined)
        await waitFor("the doveadm listener", () => doveadmAnswers(doveadmPort, server.doveadmPassword), {
            timeoutMs: 15_000,
        });
}

/**
 * Whether a doveadm protocol listener answers, found by logging in as a proxy would (the version line,
 * then PLAIN as `doveadm`) and leaving: a client that leaves before logging in costs an error line
 * ("doveadm client disconnected before handshake") in the server's log. Without a password, just
 * whether the port accepts connections.
 */
async function doveadmAnswers(port: number, password: string): Promise<boolean> {
    if (password === "") return portAnswers(port);
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        let received = "";
        const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
        };
        socket.setTimeout(2_000);
        socket.on("connect", () => {
            const plain = Buffer.from(`\0doveadm\0${password}`).toString("base64");
            socket.write(`VERSION\tdoveadm-server\t1\t0\nPLAIN\t${plain}\n`);
        });
        socket.on("data", (data) => {
            received += data.toString("latin1");
            if (/^\+$/m.test(received)) done(true);
            else if (/^-$/m.test(received)) done(false);
        });
        socket.on("error", () => done(false));
        socket.on("close", () => done(false));
        socket.on("timeout", () => done(false));
    });
}

/** The PID of the server's master process, from its pid file, if it has one. */
function masterPid(dir: string): number | undefined {
    const pidFile = path.join(dir, "run", "master.pid");
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Stops the server (`doveadm stop`, then SIGKILL for a master still there after 15 s) and waits until
 * its doveadm ports are closed; keeps its files.
 */
async function stopServer(server: Server): Promise<void> {
    const pid = masterPid(server.dir);
    await runBinary(server, "doveadm", ["-c", server.configPath, "stop"]).catch(() => undefined);
    if (pid !== undefined) {
        await waitFor("dovecot to stop", () => !isAlive(pid), { timeoutMs: 15_000 }).catch(() => {
            process.kill(pid, "SIGKILL");
        });
    }
    const { httpPort, doveadmPort } = server;
    await waitFor("the doveadm HTTP port to close", async () => !(await portAnswers(httpPort)), {
        timeoutMs: 15_000,
    });
    if (doveadmPort !== undefined)
        await waitFor("the doveadm port to close", async () => !(await portAnswers(doveadmPort)), {
            timeoutMs: 15_000,
        });
}

/** Lets go of the server's ports and removes its folder if it made it. */
function release(server: Server): void {
    for (const port of [server.imapPort, server.httpPort, server.doveadmPort])
        if (port !== undefined) releasePort(port);
    if (server.ownsDir) rmSync(server.dir, { recursive: true, force: true });
}

/** What a test holds of a started server. */
function sandboxOf(server: Server, users: UserStore): Sandbox {
    const doveadm = (args: string[], input?: string) => doveadmOutput(server, args, input);
    return {
        dir: server.dir,
        configPath: server.configPath,
        endpoint: `http://127.0.0.1:${server.httpPort}`,
        apiKey: server.apiKey,
        password: server.password,
        imapPort: server.imapPort,
        httpPort: server.httpPort,
        doveadmPort: server.doveadmPort,
        users: users.users,
        doveadm,
        doveadmResult: (args, input) => doveadmResult(server, args, input),
        listMailboxes: async (user) => lines(await doveadm(["mailbox", "list", "-u", user])).sort(),
        listSubscriptions: async (user) => lines(await doveadm(["mailbox", "list", "-s", "-u", user])).sort(),
        mailboxes: (user) => mailboxes(server, user),
        status: (user, mailbox) => mailboxStatus(server, user, mailbox),
        deliver: (user, mailbox, count) => deliver(server, user, mailbox, count),
        deliverLda: (user, message) => deliverLda(server, user, message),
        stopServer: () => stopServer(server),
        startServer: () => startServer(server),
        addUser: async (local, fields) => {
            const user = users.add(local, { fields });
            await sleep(users.settleMs);
            return user;
        },
        removeUser: async (name) => {
            users.remove(name);
            await sleep(users.settleMs);
        },
        log: () => readLog(server.dir),
        stop: async () => {
            await stopServer(server);
            release(server);
        },
    };
}

/** The line Dovecot's master logs for each reload (SIGHUP) it receives. */
export const RELOAD_LOGGED = "SIGHUP received - reloading configuration";

/** How many reloads `sandbox` has logged so far. */
export function reloadsLogged(sandbox: Pick<Sandbox, "log">): number {
    return sandbox.log().split(RELOAD_LOGGED).length - 1;
}
