// The sandbox as a proxied fleet, the layout of large sites: two backends that hold the mail (alice on
// the first, bob on the second) and a proxy whose passdb sends each user's doveadm mail commands to the
// user's backend. Proves, on the version DOVECOT_VERSION asks for, that the HTTP API of the proxy acts on
// the right backend's storage (checked with each backend's own doveadm command line), and records what
// the proxy answers when the backend fails or is down, and what `reload` on the proxy reloads.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, dovecotVersion, startDovecot } from "../harness/dovecot";
import { Answer, exitCodeBody, reply, responseBody, send } from "../harness/doveadm";
import { sleep, waitFor } from "../harness/waits";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
/** Known to the proxy (routed to backend 1) but not to backend 1. */
const CAROL = "carol@example.org";
/** Known to nobody. */
const NOBODY = "nobody@example.org";

const parsed = (answer: Answer): unknown => (reply(answer) as { body?: unknown }).body;
/** An answer without its headers (the Date may differ by a second): what two servers' answers share. */
const bytes = (answer: Answer) => (answer.closed ? answer : { status: answer.status, text: answer.text });

/**
 * Waits (bounded) for a sandbox's log to match: the master's log process writes a line a moment after
 * the request that caused it has been answered.
 */
async function logged(sandbox: Sandbox, pattern: string | RegExp): Promise<void> {
    const matches = () =>
        typeof pattern === "string" ? sandbox.log().includes(pattern) : pattern.test(sandbox.log());
    await waitFor(`${String(pattern)} in the log`, matches, { timeoutMs: 5_000 }).catch(() => undefined);
    if (typeof pattern === "string") expect(sandbox.log()).toContain(pattern);
    else expect(sandbox.log()).toMatch(pattern);
}

describe(`a doveadm proxy in front of two backends (DOVECOT_VERSION=${dovecotVersion()})`, () => {
    const version = dovecotVersion();
    let backend1: Sandbox;
    let backend2: Sandbox;
    let proxy: Sandbox;

    beforeAll(async () => {
        // The proxy logs in to the backends' doveadm listeners with its own doveadm_password.
        const password = randomBytes(18).toString("base64url");
        backend1 = await startDovecot({ users: ["alice"], doveadmListener: true, password });
        backend2 = await startDovecot({ users: ["bob"], doveadmListener: true, password });
        proxy = await startDovecot({
            password,
            proxyTo: [
                { users: ["alice", "carol"], port: backend1.doveadmPort! },
                { users: [BOB], port: backend2.doveadmPort! },
            ],
        });
    }, 120_000);
    afterAll(async () => {
        await Promise.all([proxy, backend1, backend2].map((sandbox) => sandbox?.stop()));
    }, 60_000);

    it("gives the proxy no doveadm listener and the backends one each, on different ports", () => {
        expect(proxy.doveadmPort).toBeUndefined();
        expect(backend1.doveadmPort).toEqual(expect.any(Number));
        expect(backend2.doveadmPort).toEqual(expect.any(Number));
        expect(backend1.doveadmPort).not.toBe(backend2.doveadmPort);
        expect(proxy.users.map((u) => u.name).sort()).toEqual([ALICE, BOB, CAROL]);
        // The harness's check that a doveadm listener is up logs in, so it leaves no error behind.
        for (const backend of [backend1, backend2]) expect(backend.log()).not.toContain("Error");
    });

    it("creates each user's mailbox on that user's backend only", async () => {
        expect(parsed(await send(proxy, "mailboxCreate", { user: ALICE, mailbox: ["Proxied/A"] }))).toEqual(
            responseBody(),
        );
        expect(parsed(await send(proxy, "mailboxCreate", { user: BOB, mailbox: ["Proxied/B"] }))).toEqual(
            responseBody(),
        );

        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Proxied", "Proxied/A"]);
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Proxied", "Proxied/B"]);
        // Each backend knows only its own user, and the proxy stored nothing of its own.
        expect((await backend1.doveadmResult(["mailbox", "list", "-u", BOB])).code).toBe(67);
        expect((await backend2.doveadmResult(["mailbox", "list", "-u", ALICE])).code).toBe(67);
        for (const user of [ALICE, BOB])
            expect(existsSync(path.join(proxy.dir, "home", user, "Maildir"))).toBe(false);
        // The proxy's own doveadm command line is proxied too (doveadm_port is set for it as well).
        expect(await proxy.listMailboxes(ALICE)).toEqual(["INBOX", "Proxied", "Proxied/A"]);
    });

    it("answers list and status with the backend's data", async () => {
        await backend1.deliver(ALICE, "Proxied/A", 2);
        const status = await backend1.status(ALICE, "Proxied/A");
        expect(status?.messages).toBe(2);

        const list = parsed(await send(proxy, "mailboxList", { user: ALICE, mailboxMask: ["Proxied/*"] }));
        expect(list).toEqual(responseBody([{ mailbox: "Proxied/A" }]));
        const answer = await send(proxy, "mailboxStatus", {
            user: ALICE,
            field: ["messages", "guid"],
            mailboxMask: ["Proxied/A"],
        });
        expect(parsed(answer)).toEqual(
            responseBody([{ mailbox: "Proxied/A", messages: "2", guid: status?.guid }]),
        );
        // Byte for byte what the backend answers directly.
        const direct = await send(backend1, "mailboxStatus", {
            user: ALICE,
            field: ["messages", "guid"],
            mailboxMask: ["Proxied/A"],
        });
        expect(bytes(answer)).toEqual(bytes(direct));

        const bobs = parsed(
            await send(proxy, "mailboxStatus", { user: BOB, field: ["guid"], mailboxMask: ["*"] }),
        );
        const bobGuids = (await backend2.mailboxes(BOB)).map((m) => ({ mailbox: m.name, guid: m.guid }));
        expect(bobs).toEqual(responseBody(expect.arrayContaining(bobGuids)));
    });

    it("passes the backend's failures through as the backend's own answers", async () => {
        // (a) a mailbox that exists, (b) a missing mailbox: the same answer as the backend's, byte for
        // byte (2.3's JSON writer puts a space after the comma in the error object, 2.4's does not).
        const cases: Array<[string, object, number]> = [
            ["mailboxCreate", { user: ALICE, mailbox: ["Proxied/A"] }, 65],
            ["mailboxDelete", { user: ALICE, mailbox: ["Proxied/Missing"] }, 68],
        ];
        for (const [command, params, exitCode] of cases) {
            const answer = await send(proxy, command, params);
            expect(answer).toMatchObject({ status: 200 });
            expect(parsed(answer)).toEqual(exitCodeBody(exitCode));
            expect(bytes(answer)).toEqual(bytes(await send(backend1, command, params)));
        }
        expect(
            bytes(await send(proxy, "mailboxCreate", { user: ALICE, mailbox: ["Proxied/A"] })),
        ).toHaveProperty(
            "text",
            version === "2.3"
                ? `[["error",{"type":"exitCode", "exitCode":65},"t1"]]`
                : `[["error",{"type":"exitCode","exitCode":65},"t1"]]`,
        );
        // The reason is only in the logs: the backend's, and the proxy's, which repeats the backend's
        // error lines prefixed with `remote(<backend>)`.
        const remote = `remote(127.0.0.1:${backend1.doveadmPort})`;
        await logged(
            proxy,
            new RegExp(`${literal(remote)}.*Can't create mailbox Proxied/A: Mailbox already exists`),
        );
        await logged(proxy, new RegExp(`${literal(remote)}.*Can't delete mailbox Proxied/Missing`));
        await logged(backend1, "Can't delete mailbox Proxied/Missing");

        // (c) an unknown user is 67 either way: unknown to the proxy, it answers itself (its passdb does
        // not proxy the user, so it runs the command locally and finds no such user); known to the
        // proxy but not to the backend, the backend's 67 comes back.
        for (const user of [NOBODY, CAROL]) {
            const answer = await send(proxy, "mailboxCreate", { user, mailbox: ["X"] });
            expect(answer).toMatchObject({ status: 200 });
            expect(parsed(answer)).toEqual(exitCodeBody(67));
        }
        await logged(proxy, new RegExp(`${literal(NOBODY)}\\): Error: .*User doesn't exist`));
        expect(proxy.log()).not.toMatch(new RegExp(`remote\\(.*${literal(NOBODY)}`));
        await logged(proxy, `127.0.0.1:${backend1.doveadmPort}: No such user: ${CAROL}`);
        await logged(backend1, new RegExp(`${literal(CAROL)}.*User doesn't exist`));
    });

    it("reloads only the proxy itself on reload", async () => {
        const sighups = (sandbox: Sandbox) => sandbox.log().split("SIGHUP received").length - 1;
        const before = sighups(proxy);
        expect(parsed(await send(proxy, "reload", {}))).toEqual(responseBody());
        await waitFor("the proxy's reload in its log", () => sighups(proxy) === before + 1, {
            intervalMs: 100,
        });
        await sleep(1_000);
        expect(sighups(backend1)).toBe(0);
        expect(sighups(backend2)).toBe(0);
        // The reloaded proxy still forwards (requests in flight at the reload may fail: retry a little).
        let answer: Answer = { closed: true, error: "not sent", code: "" };
        for (let i = 0; i < 20 && (answer.closed || answer.status !== 200); i++) {
            answer = await send(proxy, "mailboxList", { user: BOB, mailboxMask: ["Proxied/*"] });
            if (answer.closed || answer.status !== 200) await sleep(250);
        }
        expect(parsed(answer)).toEqual(responseBody([{ mailbox: "Proxied/B" }]));
    });

    it("fails a stopped backend's users only, and recovers when it is back", async () => {
        await backend1.stopServer();
        try {
            const answer = await send(proxy, "mailboxCreate", { user: ALICE, mailbox: ["Proxied/Down"] });
            const remote = `127.0.0.1:${backend1.doveadmPort}`;
            if (version === "2.3") {
                // 2.3's proxy process dies on the refused connection (Fatal: connect(...) failed), so the
                // HTTP connection is closed with no answer at all.
                expect(answer).toMatchObject({ closed: true });
                expect(answer.closed && `${answer.code} ${answer.error}`).toMatch(
                    /UND_ERR_SOCKET other side closed/,
                );
                await logged(proxy, `Fatal: connect(${remote}) failed: Connection refused`);
            } else {
                // 2.4's proxy answers a temporary failure.
                expect(answer).toMatchObject({ status: 200 });
                expect(parsed(answer)).toEqual(exitCodeBody(75));
                await logged(
                    proxy,
                    `${remote}: Command mailbox create failed for ${ALICE}: connect(${remote}) failed: Connection refused`,
                );
            }
            const bob = await send(proxy, "mailboxList", { user: BOB, mailboxMask: ["Proxied/*"] });
            expect(parsed(bob)).toEqual(responseBody([{ mailbox: "Proxied/B" }]));
        } finally {
            await backend1.startServer();
        }
        expect(parsed(await send(proxy, "mailboxCreate", { user: ALICE, mailbox: ["Proxied/Up"] }))).toEqual(
            responseBody(),
        );
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Proxied", "Proxied/A", "Proxied/Up"]);
    });
});

/** `text` as a literal in a regular expression. */
function literal(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
