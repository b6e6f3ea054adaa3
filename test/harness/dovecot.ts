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
// commands work (test/integration/plugins-harness.test.ts records what they answer on 2.3 and 2.4).
import { execFile, spawn } from "node:child_process";
import { registerSandbox } from "./processes";
import { REPO_ROOT } from "./repo";
import { randomBytes, randomInt } from "node:crypto";
import * as dgram from "node:dgram";
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

const run = promisify(execFile);

/** The uid and gid that own every test user's mail (the system's `nobody`). */
const MAIL_UID = 65534;

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
    /** Adds a user to the passwd file (Dovecot sees it about a second later; this waits for that). */
    addUser(local: string): Promise<SandboxUser>;
    /** Removes a user from the passwd file; their mail stays on disk. */
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
    for (let i = 0; i < 400 && !has(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!has())
        throw new Error(`the server's log has no ${String(text)} after 20 s:\n${sandbox.log().slice(-4000)}`);
}

/**
 * The lowest port of the kernel's ephemeral range, the ports it hands out on its own: to `bind(0)` and
 * as the local end of every outgoing connection.
 */
function ephemeralLow(): number {
    try {
        const low = Number(
            readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
        );
        if (Number.isInteger(low) && low > 11_000) return low;
    } catch {
        // not Linux: the IANA range
    }
    return 49_152;
}

/** The UDP sockets that hold this process's claims on TCP ports, by port. */
const claims = new Map<number, dgram.Socket>();

/** Binds a UDP socket to 127.0.0.1:`port`, or answers undefined when another socket has it. */
function claimUdp(port: number): Promise<dgram.Socket | undefined> {
    return new Promise((resolve) => {
        const socket = dgram.createSocket("udp4");
        socket.once("error", () => {
            socket.close();
            resolve(undefined);
        });
        socket.bind(port, "127.0.0.1", () => {
            socket.unref();
            resolve(socket);
        });
    });
}

/** True when a TCP listener could take 127.0.0.1:`port` now (it is let go at once). */
function tcpFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.unref();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

/**
 * A TCP port on 127.0.0.1 for a test server, free now and still free after the server stops, so that
 * it can start again on it (stopServer and startServer, a proxy closed and opened again).
 *
 * It is taken from below the kernel's ephemeral range, which the kernel never hands out on its own:
 * an ephemeral port freed by a stop can be taken before the start by the local end of any outgoing
 * connection (seen in CI: a restarted backend's imap-login failed with "Address already in use").
 * Test processes side by side share that range, so each port is claimed by a UDP socket bound to the
 * same number (UDP and TCP ports are apart, and the kernel decides who binds first); the claim lasts
 * until releasePort or the end of the process, however it ends.
 */
export async function freePort(): Promise<number> {
    const low = 10_000;
    const span = ephemeralLow() - low;
    for (let i = 0; i < 500; i++) {
        const port = low + randomInt(span);
        if (claims.has(port)) continue;
        const claim = await claimUdp(port);
        if (!claim) continue;
        if (await tcpFree(port)) {
            claims.set(port, claim);
            return port;
        }
        claim.close();
    }
    throw new Error(`no free TCP port between ${low} and ${low + span} on 127.0.0.1 after 500 tries`);
}

/** Lets go of a port from freePort once nothing will listen on it again. */
export function releasePort(port: number): void {
    claims.get(port)?.close();
    claims.delete(port);
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

/**
 * The proxy's `doveadm_port`: setting it at all is what makes doveadm look users up in the passdb to see
 * whether they are proxied (0, the default, means never proxy). Its value is only the port for a proxied
 * user without a `port` field, which the sandbox never writes.
 */
function proxyPortLines(options: SandboxOptions): string[] {
    const first = options.proxyTo?.[0];
    return first ? [`doveadm_port = ${first.port}`] : [];
}

function configText(
    version: DovecotVersion,
    dir: string,
    imapPort: number,
    httpPort: number,
    doveadmPort: number | undefined,
    apiKey: string,
    password: string,
    options: SandboxOptions,
): string {
    if (version === "2.4")
        return configText24(dir, imapPort, httpPort, doveadmPort, apiKey, password, options);
    const auth = options.auth ?? "both";
    return [
        `# generated by test/harness/dovecot.ts`,
        `instance_name = pulumi-dovecot-${path.basename(dir)}`,
        `base_dir = ${dir}/run`,
        `state_dir = ${dir}/state`,
        `log_path = ${dir}/dovecot.log`,
        `protocols = imap`,
        `listen = 127.0.0.1`,
        `ssl = no`,
        `disable_plaintext_auth = no`,
        `auth_mechanisms = plain login`,
        `mail_location = maildir:~/Maildir`,
        `first_valid_uid = ${MAIL_UID}`,
        `last_valid_uid = ${MAIL_UID}`,
        `default_internal_user = dovecot`,
        `default_login_user = dovenull`,
        `namespace inbox {`,
        `  inbox = yes`,
        `  separator = /`,
        `}`,
        `passdb {`,
        `  driver = passwd-file`,
        `  args = scheme=PLAIN username_format=%u ${dir}/users`,
        `}`,
        `userdb {`,
        `  driver = passwd-file`,
        `  args = username_format=%u ${dir}/users`,
        `}`,
        auth === "both" || auth === "apiKey" ? `doveadm_api_key = ${apiKey}` : "",
        auth === "both" || auth === "password" ? `doveadm_password = ${password}` : "",
        `service imap-login {`,
        `  inet_listener imap {`,
        `    address = 127.0.0.1`,
        `    port = ${imapPort}`,
        `  }`,
        `  inet_listener imaps {`,
        `    port = 0`,
        `  }`,
        `}`,
        `service doveadm {`,
        `  inet_listener http {`,
        `    address = 127.0.0.1`,
        `    port = ${httpPort}`,
        `  }`,
        // Any listener not named http speaks the doveadm protocol, the one a proxy forwards with.
        ...(doveadmPort === undefined
            ? []
            : [`  inet_listener doveadm {`, `    address = 127.0.0.1`, `    port = ${doveadmPort}`, `  }`]),
        `}`,
        ...proxyPortLines(options),
        ...(options.plugins ? pluginLines(dir) : []),
        ...(options.extraConfig ?? []),
        "",
    ].join("\n");
}

/** The folder, writable by the mail user, that holds the shared-mailboxes dictionary. */
function sharedDictDir(dir: string): string {
    return path.join(dir, "shared");
}

/**
 * The 2.3 settings behind `SandboxOptions.plugins`. `%%` in the shared namespace is expanded for the
 * owner of the shared mailboxes, `%` (and `~`) for the user who looks at them; the shared namespace
 * keeps the looker's index of the owner's mail in the looker's own Maildir.
 */
function pluginLines(dir: string): string[] {
    return [
        `mail_plugins = $mail_plugins acl quota`,
        `protocol imap {`,
        `  mail_plugins = $mail_plugins imap_acl imap_quota`,
        `  imap_metadata = yes`,
        `}`,
        `protocol lda {`,
        `  mail_plugins = $mail_plugins sieve`,
        `}`,
        `lda_mailbox_autocreate = yes`,
        `mail_attribute_dict = file:%h/dovecot-attributes`,
        `namespace shared {`,
        `  type = shared`,
        `  separator = /`,
        `  prefix = shared/%%u/`,
        `  location = maildir:%%h/Maildir:INDEX=~/Maildir/shared/%%u`,
        `  subscriptions = no`,
        `  list = children`,
        `}`,
        `plugin {`,
        `  acl = vfile`,
        `  acl_shared_dict = file:${sharedDictDir(dir)}/shared-mailboxes`,
        `  quota = count:User quota`,
        `  quota_rule = *:storage=10M`,
        `  quota_vsizes = yes`,
        `  sieve = file:~/sieve;active=~/.dovecot.sieve`,
        `}`,
    ];
}

/** pluginLines in 2.4 syntax. */
function pluginLines24(dir: string): string[] {
    return [
        `mail_plugins {`,
        `  acl = yes`,
        `  quota = yes`,
        `}`,
        `protocol imap {`,
        `  mail_plugins {`,
        `    imap_acl = yes`,
        `    imap_quota = yes`,
        `  }`,
        `  imap_metadata = yes`,
        `}`,
        `protocol lda {`,
        `  mail_plugins {`,
        `    sieve = yes`,
        `  }`,
        `}`,
        `lda_mailbox_autocreate = yes`,
        `mail_attribute {`,
        `  dict file {`,
        `    path = %{home}/dovecot-attributes`,
        `  }`,
        `}`,
        `namespace shared {`,
        `  type = shared`,
        `  separator = /`,
        `  prefix = shared/$user/`,
        `  mail_driver = maildir`,
        `  mail_path = %{owner_home}/Maildir`,
        `  mail_index_path = ~/Maildir/shared/%{owner_user}`,
        `  subscriptions = no`,
        `  list = children`,
        `}`,
        `acl_driver = vfile`,
        `acl_sharing_map {`,
        `  dict file {`,
        `    path = ${sharedDictDir(dir)}/shared-mailboxes`,
        `  }`,
        `}`,
        `quota "User quota" {`,
        `  driver = count`,
        `  storage_size = 10M`,
        `}`,
        `sieve_script personal {`,
        `  driver = file`,
        `  path = ~/sieve`,
        `  active_path = ~/.dovecot.sieve`,
        `}`,
    ];
}

/** The same server as configText's in Dovecot 2.4's config syntax. */
function configText24(
    dir: string,
    imapPort: number,
    httpPort: number,
    doveadmPort: number | undefined,
    apiKey: string,
    password: string,
    options: SandboxOptions,
): string {
    const auth = options.auth ?? "both";
    return [
        // 2.4 refuses a config whose first setting is not dovecot_config_version.
        `dovecot_config_version = 2.4.1`,
        `# generated by test/harness/dovecot.ts`,
        `dovecot_storage_version = 2.4.1`,
        `instance_name = pulumi-dovecot-${path.basename(dir)}`,
        `base_dir = ${dir}/run`,
        `state_dir = ${dir}/state`,
        `log_path = ${dir}/dovecot.log`,
        `protocols = imap`,
        `listen = 127.0.0.1`,
        `ssl = no`,
        `auth_allow_cleartext = yes`,
        `auth_mechanisms = plain login`,
        `mail_driver = maildir`,
        `mail_path = %{home}/Maildir`,
        `first_valid_uid = ${MAIL_UID}`,
        `last_valid_uid = ${MAIL_UID}`,
        `default_internal_user = dovecot`,
        `default_login_user = dovenull`,
        `namespace inbox {`,
        `  inbox = yes`,
        `  separator = /`,
        `}`,
        `passdb passwd-file {`,
        `  default_password_scheme = PLAIN`,
        `  auth_username_format = %{user}`,
        `  passwd_file_path = ${dir}/users`,
        `}`,
        `userdb passwd-file {`,
        `  auth_username_format = %{user}`,
        `  passwd_file_path = ${dir}/users`,
        `}`,
        auth === "both" || auth === "apiKey" ? `doveadm_api_key = ${apiKey}` : "",
        auth === "both" || auth === "password" ? `doveadm_password = ${password}` : "",
        `service imap-login {`,
        `  inet_listener imap {`,
        `    listen = 127.0.0.1`,
        `    port = ${imapPort}`,
        `  }`,
        `  inet_listener imaps {`,
        `    port = 0`,
        `  }`,
        `}`,
        `service doveadm {`,
        `  inet_listener http {`,
        `    listen = 127.0.0.1`,
        `    port = ${httpPort}`,
        `  }`,
        ...(doveadmPort === undefined
            ? []
            : [`  inet_listener doveadm {`, `    listen = 127.0.0.1`, `    port = ${doveadmPort}`, `  }`]),
        `}`,
        ...proxyPortLines(options),
        ...(options.plugins ? pluginLines24(dir) : []),
        ...(options.extraConfig ?? []).map(extraLine24),
        "",
    ].join("\n");
}

/**
 * A 2.3 extra config line in 2.4 syntax. 2.4 reads `doveadm_allowed_commands` as a boolean list split
 * at spaces and commas (even inside quotes), so `mailbox list,reload` would allow the commands
 * `mailbox`, `list` and `reload`; names with spaces need the block form.
 */
function extraLine24(line: string): string {
    const match = /^\s*doveadm_allowed_commands\s*=\s*(.*?)\s*$/.exec(line);
    if (!match?.[1]) return line;
    const names = match[1]
        .split(",")
        .map((name) => name.trim())
        .filter((name) => name.length > 0);
    return [`doveadm_allowed_commands {`, ...names.map((name) => `  "${name}" = yes`), `}`].join("\n");
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function portAnswers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.setTimeout(500);
        socket.on("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
        socket.on("timeout", () => {
            socket.destroy();
            resolve(false);
        });
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

/**
 * Starts a sandbox Dovecot, once: a start that fails is not tried again on other ports, since that
 * would hide whatever made it fail (freePort's claims keep other tests off its ports). It stops what
 * it started, lets go of its ports and its directory, and throws with the server's own words.
 */
export async function startDovecot(options: SandboxOptions = {}): Promise<Sandbox> {
    const version = dovecotVersion(options);
    if (version === "2.4") dovecot24Root(); // fails early, with a hint, when the root is missing
    const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "dovecot-"));
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const imapPort = await freePort();
    const httpPort = await freePort();
    const doveadmPort = options.doveadmListener ? await freePort() : undefined;
    const apiKey = options.apiKey ?? randomBytes(18).toString("base64url");
    const password = options.password ?? randomBytes(18).toString("base64url");
    const auth = options.auth ?? "both";
    const doveadmPassword = auth === "both" || auth === "password" ? password : "";
    const configPath = path.join(dir, "dovecot.conf");
    const usersPath = path.join(dir, "users");
    const users: SandboxUser[] = [];
    /** The passdb extra fields of the proxied users, by name. */
    const proxied = new Map<string, string>();
    const homes = path.join(dir, "home");
    mkdirSync(homes, { recursive: true });

    const writeUsers = () => {
        const text =
            users.map((u) => userLine(u, path.join(homes, u.name), proxied.get(u.name))).join("\n") + "\n";
        writeFileSync(usersPath, text, { mode: 0o644 });
    };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 1100));
    const addUser = (local: string): SandboxUser => {
        const user = { name: userName(local), password: randomBytes(9).toString("base64url") };
        users.push(user);
        const home = path.join(homes, user.name);
        mkdirSync(home, { recursive: true });
        chownSync(home, MAIL_UID, MAIL_UID);
        writeUsers();
        return user;
    };
    for (const local of options.users ?? (options.proxyTo ? [] : ["alice", "bob"])) addUser(local);
    for (const route of options.proxyTo ?? []) {
        for (const name of route.users) {
            proxied.set(userName(name), proxyFields(route));
            addUser(name);
        }
    }
    writeUsers();
    if (options.plugins) {
        // The mail processes (running as the mail user) write the shared-mailboxes dictionary.
        mkdirSync(sharedDictDir(dir), { recursive: true });
        chownSync(sharedDictDir(dir), MAIL_UID, MAIL_UID);
    }
    writeFileSync(
        configPath,
        configText(version, dir, imapPort, httpPort, doveadmPort, apiKey, password, options),
    );
    registerSandbox(configPath);

    const doveadmResult = async (args: string[], input?: string) => {
        const inputFile =
            input === undefined ? undefined : path.join(dir, `in-${randomBytes(4).toString("hex")}`);
        try {
            const [file, fileArgs] = dovecotCommand(version, dir, "doveadm", ["-c", configPath, ...args]);
            if (inputFile !== undefined) writeFileSync(inputFile, input ?? "");
            const { stdout, stderr } =
                inputFile === undefined
                    ? await run(file, fileArgs, { timeout: 30_000 })
                    : await run("sh", ["-c", `f=$0; exec "$@" < "$f"`, inputFile, file, ...fileArgs], {
                          timeout: 30_000,
                      });
            return { code: 0, stdout, stderr };
        } catch (error) {
            const e = error as { code?: number; stdout?: string; stderr?: string };
            return {
                code: typeof e.code === "number" ? e.code : -1,
                stdout: e.stdout ?? "",
                stderr: e.stderr ?? "",
            };
        } finally {
            if (inputFile !== undefined) rmSync(inputFile, { force: true });
        }
    };
    const doveadm = async (args: string[], input?: string) => {
        const result = await doveadmResult(args, input);
        if (result.code !== 0)
            throw new Error(`doveadm ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
        return result.stdout;
    };

    const startServer = async () => {
        // The daemon may keep inherited pipes open, so give it none and read failures from its log.
        const code = await new Promise<number | null>((resolve, reject) => {
            const [file, args] = dovecotCommand(version, dir, "dovecot", ["-c", configPath]);
            const child = spawn(file, args, { stdio: "ignore" });
            child.on("error", reject);
            child.on("exit", resolve);
        });
        if (code !== 0) {
            // Config errors go to stderr, not to the log: ask doveconf for them.
            const [file, args] = dovecotCommand(version, dir, "doveconf", ["-n", "-c", configPath]);
            const config = await run(file, args, { timeout: 30_000 }).then(
                () => "",
                (error: { stderr?: string }) => error.stderr ?? "",
            );
            throw new Error(`dovecot -c ${configPath} exited ${code}: ${config}${readLog().slice(-2000)}`);
        }
        try {
            await waitFor("the doveadm HTTP listener", () => portAnswers(httpPort), 15_000);
            await waitFor("the IMAP listener", () => portAnswers(imapPort), 15_000);
            if (doveadmPort !== undefined)
                await waitFor(
                    "the doveadm listener",
                    () => doveadmAnswers(doveadmPort, doveadmPassword),
                    15_000,
                );
        } catch (error) {
            throw new Error(
                `dovecot -c ${configPath}: ${(error as Error).message}\n${readLog().slice(-2000)}`,
            );
        }
    };
    function readLog(): string {
        const file = path.join(dir, "dovecot.log");
        return existsSync(file) ? readFileSync(file, "utf8") : "";
    }
    const masterPid = (): number | undefined => {
        const pidFile = path.join(dir, "run", "master.pid");
        if (!existsSync(pidFile)) return undefined;
        const pid = Number(readFileSync(pidFile, "utf8").trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    };
    const alive = (pid: number) => {
        try {
            process.kill(pid, 0);
            return true;
        } catch {
            return false;
        }
    };
    const stopServer = async () => {
        const pid = masterPid();
        const [file, args] = dovecotCommand(version, dir, "doveadm", ["-c", configPath, "stop"]);
        await run(file, args, { timeout: 30_000 }).catch(() => undefined);
        if (pid !== undefined) {
            await waitFor("dovecot to stop", async () => !alive(pid), 15_000).catch(() => {
                process.kill(pid, "SIGKILL");
            });
        }
        await waitFor("the doveadm HTTP port to close", async () => !(await portAnswers(httpPort)), 15_000);
        if (doveadmPort !== undefined)
            await waitFor("the doveadm port to close", async () => !(await portAnswers(doveadmPort)), 15_000);
    };

    const release = () => {
        for (const port of [imapPort, httpPort, doveadmPort]) if (port !== undefined) releasePort(port);
        if (!options.dir) rmSync(dir, { recursive: true, force: true });
    };
    try {
        await startServer();
    } catch (error) {
        await stopServer().catch(() => undefined);
        release();
        throw error;
    }

    const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);
    const sandbox: Sandbox = {
        dir,
        configPath,
        endpoint: `http://127.0.0.1:${httpPort}`,
        apiKey,
        password,
        imapPort,
        httpPort,
        doveadmPort,
        users,
        doveadm,
        doveadmResult,
        listMailboxes: async (user) => lines(await doveadm(["mailbox", "list", "-u", user])).sort(),
        listSubscriptions: async (user) => lines(await doveadm(["mailbox", "list", "-s", "-u", user])).sort(),
        mailboxes: async (user) => {
            await doveadm(["mailbox", "status", "-u", user, "messages", "INBOX"]);
            const out = await doveadm(["-f", "tab", "mailbox", "status", "-u", user, "guid messages", "*"]);
            const [header, ...rows] = lines(out);
            const keys = (header ?? "").split("\t");
            return rows.map((line) => {
                const row = line.split("\t");
                const get = (k: string) => row[keys.indexOf(k)] ?? "";
                return { name: get("mailbox"), guid: get("guid"), messages: Number(get("messages")) };
            });
        },
        status: async (user, mailbox) => {
            const result = await doveadmResult([
                "-f",
                "tab",
                "mailbox",
                "status",
                "-u",
                user,
                // "--": a mailbox name may start with "-", which doveadm would take for an option.
                "--",
                "guid messages",
                mailbox,
            ]);
            if (result.code === 68) return undefined;
            if (result.code !== 0)
                throw new Error(`doveadm mailbox status exited ${result.code}: ${result.stderr}`);
            const [header, values] = lines(result.stdout);
            const keys = (header ?? "").split("\t");
            const row = (values ?? "").split("\t");
            const get = (k: string) => row[keys.indexOf(k)] ?? "";
            return { guid: get("guid"), messages: Number(get("messages")) };
        },
        deliver: async (user, mailbox, count) => {
            for (let i = 0; i < count; i++) {
                const file = path.join(dir, `msg-${randomBytes(4).toString("hex")}.eml`);
                writeFileSync(
                    file,
                    `From: test@example.org\r\nTo: ${user}\r\nSubject: message ${i}\r\nMessage-ID: <${randomBytes(8).toString("hex")}@example.org>\r\n\r\nbody ${i}\r\n`,
                );
                // `doveadm save` reads the message from stdin.
                const [save, saveArgs] = dovecotCommand(version, dir, "doveadm", [
                    "-c",
                    configPath,
                    "save",
                    "-u",
                    user,
                    "-m",
                    mailbox,
                ]);
                await run("sh", ["-c", `f=$0; exec "$@" < "$f"`, file, save, ...saveArgs], {
                    timeout: 30_000,
                });
                rmSync(file);
            }
        },
        deliverLda: async (user, message) => {
            const file = path.join(dir, `lda-${randomBytes(4).toString("hex")}.eml`);
            writeFileSync(file, message);
            try {
                const [lda, ldaArgs] = dovecotCommand(version, dir, "/usr/lib/dovecot/dovecot-lda", [
                    "-c",
                    configPath,
                    "-d",
                    userName(user),
                    "-f",
                    "sender@example.org",
                ]);
                await run("sh", ["-c", `f=$0; exec "$@" < "$f"`, file, lda, ...ldaArgs], { timeout: 30_000 });
            } catch (error) {
                const e = error as { code?: number; stderr?: string };
                throw new Error(`dovecot-lda -d ${userName(user)} exited ${e.code}: ${e.stderr ?? ""}`);
            } finally {
                rmSync(file, { force: true });
            }
        },
        stopServer,
        startServer,
        addUser: async (local) => {
            const user = addUser(local);
            await settle();
            return user;
        },
        removeUser: async (name) => {
            const index = users.findIndex((u) => u.name === name);
            if (index >= 0) users.splice(index, 1);
            proxied.delete(name);
            writeUsers();
            // Dovecot looks at a passwd-file at most once a second.
            await settle();
        },
        log: () =>
            existsSync(path.join(dir, "dovecot.log"))
                ? readFileSync(path.join(dir, "dovecot.log"), "utf8")
                : "",
        stop: async () => {
            await stopServer();
            release();
        },
    };
    return sandbox;
}
