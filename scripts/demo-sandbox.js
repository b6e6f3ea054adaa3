// The demo's sandbox Dovecot, kept running in the background between `npm run demo` runs.
//   node scripts/demo-sandbox.js start <dir>   start it (or reuse the running one); writes <dir>/sandbox.json
//   node scripts/demo-sandbox.js show <dir>    print each user's folders and subscriptions as IMAP sees them
// Run with Node >= 22 (node_modules/.bin/node), after `npm run build:tools`.
/* global setTimeout */
"use strict";
const fs = require("fs");
const net = require("net");
const path = require("path");
const { spawnSync } = require("child_process");
// The TypeScript harness, compiled by `npm run build:tools` (demo.sh runs it first).
const { startDovecot } = require("../.cache/build/test/harness/dovecot.js");
const { imapMailboxes, imapLsub } = require("../.cache/build/test/harness/imap.js");

const USERS = ["alice", "bob", "carol"];
const SNIPPET = path.resolve(__dirname, "..", "examples", "typescript", "conf.d", "90-example.conf");

function portAnswers(port) {
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

async function waitForPorts(info, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if ((await portAnswers(info.httpPort)) && (await portAnswers(info.imapPort))) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
}

function readInfo(dir) {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, "sandbox.json"), "utf8"));
    } catch {
        return undefined;
    }
}

async function start(dir) {
    const info = readInfo(dir);
    if (info) {
        if ((await portAnswers(info.httpPort)) && (await portAnswers(info.imapPort))) {
            console.error(`demo-sandbox: reusing the running Dovecot (${info.endpoint})`);
            return;
        }
        // Stopped (a reboot, a crash): start the same server again, with its ports, keys and mail.
        console.error("demo-sandbox: starting the existing sandbox Dovecot again");
        const result = spawnSync("dovecot", ["-c", info.configPath], { stdio: "ignore", timeout: 30_000 });
        if (result.status === 0 && (await waitForPorts(info, 15_000))) return;
        throw new Error(
            `could not restart the sandbox Dovecot in ${dir}; run \`npm run demo:down\` and then \`npm run demo\` again`,
        );
    }
    const server = path.join(dir, "dovecot");
    fs.rmSync(server, { recursive: true, force: true });
    const sandbox = await startDovecot({
        dir: server,
        users: USERS,
        extraConfig: [`!include_try ${SNIPPET}`],
    });
    const saved = {
        endpoint: sandbox.endpoint,
        apiKey: sandbox.apiKey,
        imapPort: sandbox.imapPort,
        httpPort: sandbox.httpPort,
        configPath: sandbox.configPath,
        users: sandbox.users,
    };
    fs.writeFileSync(path.join(dir, "sandbox.json"), JSON.stringify(saved, null, 2), { mode: 0o600 });
    console.error(
        `demo-sandbox: started Dovecot (doveadm API ${sandbox.endpoint}, IMAP 127.0.0.1:${sandbox.imapPort})`,
    );
}

async function show(dir) {
    const info = readInfo(dir);
    if (!info) throw new Error(`no sandbox in ${dir}: run \`npm run demo\``);
    console.log(`\nWhat an IMAP client sees (127.0.0.1:${info.imapPort}, LIST and LSUB):`);
    for (const user of info.users) {
        const listed = (await imapMailboxes(info, user)).filter((m) => m.listed).map((m) => m.path);
        const subscribed = new Set(await imapLsub(info, user));
        const names = [...new Set([...listed, ...subscribed])].sort((a, b) => a.localeCompare(b));
        console.log(`\n  ${user.name}  (password ${user.password})`);
        for (const name of names) {
            const depth = name.split("/").length - 1;
            const label = `${"  ".repeat(depth)}${name.split("/").pop()}`;
            const marks = [subscribed.has(name) ? "subscribed" : "not subscribed"];
            if (!listed.includes(name)) marks.push("no such mailbox");
            console.log(`    ${label.padEnd(28)} ${marks.join(", ")}`);
        }
    }
    console.log("");
}

async function main() {
    const [command, dir] = process.argv.slice(2);
    if (!dir || !["start", "show"].includes(command ?? "")) {
        console.error("usage: node scripts/demo-sandbox.js start|show <dir>");
        process.exit(2);
    }
    fs.mkdirSync(dir, { recursive: true });
    if (command === "start") await start(path.resolve(dir));
    else await show(path.resolve(dir));
}

main().then(
    () => process.exit(0),
    (error) => {
        console.error(`demo-sandbox: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    },
);
