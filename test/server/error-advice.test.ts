// Errors that send the user the right way: each failure names what failed and says what to do about
// that failure, not about another one that happens to share an exit code or a symptom.
import { chmodSync, chownSync, utimesSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { DoveadmClient } from "../../provider/client/client";
import { RetryPolicy } from "../../provider/client/retry";
import { resolveSettings } from "../../provider/settings";
import { Sandbox, freePort, startDovecot } from "../harness/dovecot";
import { startFaultProxy } from "../harness/fault-proxy";
import { call, checkAndCreate, configure, rejection } from "../harness/providers";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const quick: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 };

describe("errors that point the right way", () => {
    let sandbox: Sandbox;
    const clientFor = (env: Record<string, string>, policy = quick) =>
        new DoveadmClient(
            resolveSettings(undefined, { DOVEADM_API_KEY: sandbox.apiKey, ...env }),
            {},
            policy,
        );

    beforeAll(async () => {
        // The auth process runs as an unprivileged user, as on a real server, so a user database it
        // cannot read can be made.
        sandbox = await startDovecot({ extraConfig: ["service auth {", "  user = dovecot", "}"] });
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
    afterAll(async () => {
        await sandbox.stop();
    });

    it("refuses, before sending it, a rename that would make a subfolder's name too long", async () => {
        const child = `Parent/${"c".repeat(235)}`;
        const { id, outs } = await checkAndCreate("mailbox", { user: ALICE, name: "Parent" });
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, child]);
        const proxy = await startFaultProxy({ target: sandbox.endpoint });
        try {
            await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            const { inputs } = await call("mailbox", "check", outs, { user: ALICE, name: "P".repeat(20) });
            const error = await rejection(call("mailbox", "update", id, outs, inputs));
            expect(error?.code).toBe("DOVEADM_RENAME_TOO_LONG");
            expect(error.message).toContain(JSON.stringify(child));
            expect(error.message).toMatch(/too long.*nothing was renamed.*Choose a shorter name/);
            expect(error.message).not.toMatch(/lock/);
            expect(proxy.count("mailboxRename")).toBe(0);
            expect(await sandbox.status(ALICE, "Parent")).toMatchObject({ guid: id });
            expect(await sandbox.status(ALICE, child)).toBeDefined();
        } finally {
            await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
            await proxy.close();
        }
    });

    it("names a failed user lookup (exit 75) as a possible cause and points to the server's log", async () => {
        const users = path.join(sandbox.dir, "users");
        chownSync(users, 0, 0);
        chmodSync(users, 0o600);
        const later = new Date(Date.now() + 5_000);
        utimesSync(users, later, later); // make Dovecot read it again
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        try {
            const error = await rejection(
                clientFor({ DOVEADM_ENDPOINT: sandbox.endpoint }).findStatus(BOB, "INBOX"),
            );
            expect(error?.exitCode).toBe(75);
            expect(error.message).toMatch(/user lookup failed/);
            expect(error.message).toMatch(/user database/);
            expect(error.message).toMatch(/doveadm log errors/);
            expect(error.message).toMatch(/gave up after 3 attempts/);
            expect(sandbox.log()).toMatch(/passwd-file.*Permission denied/);
        } finally {
            chmodSync(users, 0o644);
            const now = new Date(Date.now() + 10_000);
            utimesSync(users, now, now);
            await new Promise((resolve) => setTimeout(resolve, 1_200));
        }
        expect(
            await clientFor({ DOVEADM_ENDPOINT: sandbox.endpoint }).findStatus(BOB, "INBOX"),
        ).toBeDefined();
    });

    it("names the whole URL on a 404, and resolves /doveadm and /doveadm/v1/../ endpoints", async () => {
        const error = await rejection(
            clientFor({ DOVEADM_ENDPOINT: `${sandbox.endpoint}/elsewhere` }).mailboxList(ALICE),
        );
        expect(error?.httpStatus).toBe(404);
        expect(error.message).toContain(`${sandbox.endpoint}/elsewhere/doveadm/v1`);
        for (const endpoint of [`${sandbox.endpoint}/doveadm`, `${sandbox.endpoint}/doveadm/v1/../`]) {
            expect(await clientFor({ DOVEADM_ENDPOINT: endpoint }).mailboxList(ALICE)).toContain("INBOX");
        }
    });

    it("says that a plain-HTTP listener does not speak TLS, instead of blaming the CA", async () => {
        const error = await rejection(
            clientFor({ DOVEADM_ENDPOINT: sandbox.endpoint.replace("http:", "https:") }).mailboxList(ALICE),
        );
        expect(error?.code).toBe("DOVEADM_NOT_TLS");
        expect(error.message).toMatch(/does not speak TLS/);
        expect(error.message).toMatch(/Use http:\/\//);
        expect(error.message).not.toMatch(/caCert/);
    });

    it("a read that times out is retried and says so, without claiming an unknown outcome", async () => {
        const silent = net.createServer(() => undefined);
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const port = (silent.address() as net.AddressInfo).port;
        try {
            const client = clientFor({
                DOVEADM_ENDPOINT: `http://127.0.0.1:${port}`,
                DOVEADM_TIMEOUT_MS: "200",
            });
            const read = await rejection(client.mailboxList(ALICE));
            expect(read?.code).toBe("DOVEADM_TIMEOUT");
            expect(read.message).toMatch(/no answer from .* within 200 ms/);
            expect(read.message).not.toMatch(/unknown whether/);
            expect(read.message).toMatch(/gave up after 3 attempts/);
            const write = await rejection(client.mailboxCreate(ALICE, ["X"]));
            expect(write.message).toMatch(/unknown whether the command ran/);
        } finally {
            silent.close();
        }
    });

    it("refuses to take an empty status answer as every mailbox gone", async () => {
        const { id, outs } = await checkAndCreate("mailbox", { user: ALICE, name: "Present" });
        const set = await checkAndCreate("folders", { user: ALICE, folders: [{ name: "SetPresent" }] });
        const empty = (request: { tags: string[] }) =>
            JSON.stringify(request.tags.map((tag) => ["doveadmResponse", [], tag]));
        const proxy = await startFaultProxy({
            target: sandbox.endpoint,
            rules: [{ command: "mailboxStatus", action: { kind: "reply", body: empty } }],
        });
        try {
            await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            for (const attempt of [
                call("mailbox", "read", id, outs),
                call("folders", "read", set.id, set.outs),
                call("subscription", "read", `${ALICE}:Present`, { user: ALICE, mailbox: "Present" }),
            ]) {
                const error = await rejection(attempt);
                expect(error?.code).toBe("DOVEADM_EMPTY_STATUS");
                expect(error.message).toMatch(/lacks INBOX/);
            }
        } finally {
            await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
            await proxy.close();
        }
        expect((await call("mailbox", "read", id, outs)).id).toBe(id);
    });

    it("a new spelling of the same account updates the user in place; another account replaces", async () => {
        const { id, outs } = await checkAndCreate("mailbox", {
            user: ALICE,
            name: "Spelled",
            forceDestroy: true,
        });
        const same = await call("mailbox", "check", outs, { ...outs, user: "Alice@Example.org" });
        expect(await call("mailbox", "diff", id, outs, same.inputs)).toMatchObject({
            changes: true,
            replaces: [],
        });
        const other = await call("mailbox", "check", outs, { ...outs, user: BOB });
        expect(await call("mailbox", "diff", id, outs, other.inputs)).toMatchObject({
            changes: true,
            replaces: ["user"],
            deleteBeforeReplace: true,
        });
        const unknown = await call("mailbox", "check", outs, { ...outs, user: "nobody@example.org" });
        expect((await call("mailbox", "diff", id, outs, unknown.inputs)).replaces).toEqual(["user"]);
        const { outs: updated } = await call("mailbox", "update", id, outs, same.inputs);
        expect(updated).toMatchObject({ user: "Alice@Example.org", guid: id, name: "Spelled" });
        expect(await sandbox.status(ALICE, "Spelled")).toMatchObject({ guid: id });
    });

    it("a server that cannot be reached on a free port is named, with the setting to check", async () => {
        const port = await freePort();
        const error = await rejection(
            clientFor({ DOVEADM_ENDPOINT: `http://127.0.0.1:${port}` }).mailboxList(ALICE),
        );
        expect(error?.code).toBe("DOVEADM_UNREACHABLE");
        expect(error.message).toMatch(/dovecot:endpoint/);
    });
});
