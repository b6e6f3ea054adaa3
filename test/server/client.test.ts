// The doveadm client against a real Dovecot: every command it sends, and every failure the server
// really produces, each turned into its typed error with a message that says what to do.
import * as net from "node:net";
import { DoveadmClient, resetEndpointState } from "../../provider/client/client";
import {
    DoveadmAuthError,
    DoveadmCommandNotAllowedError,
    DoveadmConfigError,
    DoveadmConflictError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    DoveadmUsageError,
} from "../../provider/client/errors";
import { Transport } from "../../provider/client/transport";
import { resolveSettings } from "../../provider/settings";
import { freePort, startDovecot } from "../harness/dovecot";
import { failure } from "../harness/failure";
import { dovecotForSuite } from "../harness/suite";

const ALICE = "alice@example.org";
const quick = { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 };

function clientFor(env: Record<string, string>, policy = quick): DoveadmClient {
    return new DoveadmClient(resolveSettings(undefined, env), {}, policy);
}

describe("doveadm client against a real Dovecot", () => {
    const sandbox = dovecotForSuite();
    let client: DoveadmClient;

    beforeEach(() => {
        resetEndpointState();
        client = clientFor({ DOVEADM_ENDPOINT: sandbox.endpoint, DOVEADM_API_KEY: sandbox.apiKey });
    });

    it("creates, lists, renames, subscribes and deletes, as doveadm on the server sees it", async () => {
        await client.mailboxCreate(ALICE, ["C1/Inner"]);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(expect.arrayContaining(["C1", "C1/Inner"]));
        expect(await client.mailboxList(ALICE)).toEqual(expect.arrayContaining(["C1/Inner"]));

        await client.mailboxSubscribe(ALICE, ["C1/Inner"]);
        expect(await sandbox.listSubscriptions(ALICE)).toContain("C1/Inner");
        expect(await client.mailboxList(ALICE, { subscribed: true })).toContain("C1/Inner");

        const before = await sandbox.status(ALICE, "C1/Inner");
        await client.mailboxRename(ALICE, "C1/Inner", "C1/Renamed");
        const after = await sandbox.status(ALICE, "C1/Renamed");
        expect(after?.guid).toBe(before?.guid);
        expect(await sandbox.status(ALICE, "C1/Inner")).toBeUndefined();

        await client.mailboxUnsubscribe(ALICE, ["C1/Inner"]);
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("C1/Inner");

        await client.mailboxDelete(ALICE, ["C1/Renamed"], { requireEmpty: true });
        expect(await sandbox.status(ALICE, "C1/Renamed")).toBeUndefined();
    });

    it("creates a mailbox with a chosen GUID and reports numeric status fields", async () => {
        const guid = "0123456789abcdef0123456789abcdef";
        await client.mailboxCreate(ALICE, ["WithGuid"], { guid });
        await sandbox.deliver(ALICE, "WithGuid", 3);
        const status = await client.findStatus(ALICE, "WithGuid");
        expect(status).toMatchObject({ name: "WithGuid", guid, messages: 3, unseen: 3, uidNext: 4 });
        expect(status?.vsize).toBeGreaterThan(0);
        expect(typeof status?.uidValidity).toBe("number");
        expect((await sandbox.status(ALICE, "WithGuid"))?.guid).toBe(guid);
    });

    it("keeps messages when deleting with requireEmpty (exit 65) and never sends a false flag", async () => {
        await client.mailboxCreate(ALICE, ["Full"]);
        await sandbox.deliver(ALICE, "Full", 2);
        const error = await failure(client.mailboxDelete(ALICE, ["Full"], { requireEmpty: true }));
        expect(error).toBeInstanceOf(DoveadmConflictError);
        expect(error.code).toBe("DOVEADM_CONFLICT");
        expect(error.exitCode).toBe(65);
        expect((await sandbox.status(ALICE, "Full"))?.messages).toBe(2);
        // subscriptions:false would subscribe on 2.3: the client must omit it.
        await client.mailboxCreate(ALICE, ["NotSubscribed"]);
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("NotSubscribed");
    });

    it("reports exit 65 for a mailbox that exists, naming the command, user and mailbox", async () => {
        await client.mailboxCreate(ALICE, ["Twice"]);
        const error = await failure(client.mailboxCreate(ALICE, ["Twice"]));
        expect(error).toBeInstanceOf(DoveadmConflictError);
        expect(error.message).toContain("mailboxCreate");
        expect(error.message).toContain(ALICE);
        expect(error.message).toContain('"Twice"');
    });

    it("reports exit 68 for a missing mailbox", async () => {
        const error = await failure(client.mailboxStatus(ALICE, ["Missing"]));
        expect(error).toBeInstanceOf(DoveadmNotFoundError);
        expect(error.code).toBe("DOVEADM_NOT_FOUND");
        expect(await client.findStatus(ALICE, "Missing")).toBeUndefined();
    });

    it("reports exit 67 for an unknown user", async () => {
        const error = await failure(client.mailboxList("nobody@example.org"));
        expect(error).toBeInstanceOf(DoveadmNoUserError);
        expect(error.code).toBe("DOVEADM_NO_USER");
        expect(error.message).toContain("nobody@example.org");
        expect(error.message).toMatch(/Create the user/);
    });

    it("reports exit 64 for a name the server rejects", async () => {
        const error = await failure(client.mailboxCreate(ALICE, ["a//b"]));
        expect(error).toBeInstanceOf(DoveadmUsageError);
        expect(error.exitCode).toBe(64);
    });

    it("reports a wrong API key as an authentication error (401) and then stops sending", async () => {
        const requests: string[] = [];
        const wrong = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: sandbox.endpoint,
                DOVEADM_API_KEY: "wrong-key-123",
            }),
            { onRequest: (c) => requests.push(c) },
            quick,
        );
        const error = await failure(wrong.mailboxList(ALICE));
        expect(error).toBeInstanceOf(DoveadmAuthError);
        expect(error.code).toBe("DOVEADM_AUTH");
        expect(error.httpStatus).toBe(401);
        expect(error.fatal).toBe(true);
        expect(error.message).toContain("dovecot:apiKey");
        expect(error.message).not.toContain("wrong-key-123");
        const again = await failure(wrong.mailboxCreate(ALICE, ["Never"]));
        expect(again).toBeInstanceOf(DoveadmAuthError);
        expect(again.code).toBe("DOVEADM_AUTH");
        // Reported for the request it stopped, not for the first one.
        expect(again.message).toContain("mailboxCreate");
        expect(again.message).toContain('"Never"');
        expect(requests).toEqual(["mailboxList"]);
        expect(await sandbox.status(ALICE, "Never")).toBeUndefined();
    });

    it("authenticates with the doveadm password as well", async () => {
        const byPassword = clientFor({
            DOVEADM_ENDPOINT: sandbox.endpoint,
            DOVEADM_PASSWORD: sandbox.password,
        });
        expect(await byPassword.mailboxList(ALICE)).toContain("INBOX");
    });

    it("reports a wrong path as a configuration error (404)", async () => {
        const wrongPath = clientFor({
            DOVEADM_ENDPOINT: `${sandbox.endpoint}/elsewhere`,
            DOVEADM_API_KEY: sandbox.apiKey,
        });
        const error = await failure(wrongPath.mailboxList(ALICE));
        expect(error).toBeInstanceOf(DoveadmConfigError);
        expect(error.httpStatus).toBe(404);
        expect(error.message).toContain("dovecot:endpoint");
    });

    it("reports a connection closed without an answer as an unknown outcome", async () => {
        // A mail command without a user makes the server's process die without answering.
        const transport = new Transport({
            url: `${sandbox.endpoint}/doveadm/v1`,
            authorization: `X-Dovecot-API ${Buffer.from(sandbox.apiKey).toString("base64")}`,
            timeoutMs: 10_000,
        });
        const error = await failure(
            transport.run({
                command: "mailboxList",
                params: {},
                context: { command: "mailboxList" },
                write: true,
                repeatable: false,
                parse: (rows) => rows,
            }),
        );
        expect(error).toBeInstanceOf(DoveadmUnknownOutcomeError);
        expect(error.code).toBe("DOVEADM_CONNECTION_CLOSED");
        expect(error.message).toMatch(/unknown whether the command ran/);
        await transport.close();
    });

    it("reports a server that does not listen as unreachable, after retrying", async () => {
        const port = await freePort();
        let retries = 0;
        const down = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: `http://127.0.0.1:${port}`,
                DOVEADM_API_KEY: "k",
            }),
            { onRetry: () => retries++ },
            { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
        );
        const error = await failure(down.mailboxList(ALICE));
        expect(error).toBeInstanceOf(DoveadmUnreachableError);
        expect(error.code).toBe("DOVEADM_UNREACHABLE");
        expect(error.message).toContain(`127.0.0.1:${port}`);
        expect(error.message).toMatch(/Check that Dovecot is running/);
        expect(retries).toBe(2);
    });

    it("times out a server that never answers", async () => {
        const silent = net.createServer(() => undefined); // accepts and says nothing
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const port = (silent.address() as net.AddressInfo).port;
        try {
            const slow = clientFor({
                DOVEADM_ENDPOINT: `http://127.0.0.1:${port}`,
                DOVEADM_API_KEY: "k",
                DOVEADM_TIMEOUT_MS: "300",
            });
            const started = Date.now();
            const error = await failure(slow.mailboxCreate(ALICE, ["Slow"]));
            expect(error).toBeInstanceOf(DoveadmUnknownOutcomeError);
            expect(error.code).toBe("DOVEADM_TIMEOUT");
            // The configured timeout, not the default 30 s: the message names it, and the call
            // gave up well before the default would have (a bound against a hang, with room for a
            // loaded machine).
            expect(error.message).toContain("within 300 ms");
            expect(Date.now() - started).toBeLessThan(25_000);
        } finally {
            silent.close();
        }
    });

    it("lists the server's commands", async () => {
        const commands = await client.commands();
        const names = commands.map((c) => c.command);
        for (const needed of [
            "mailboxCreate",
            "mailboxDelete",
            "mailboxRename",
            "mailboxStatus",
            "mailboxList",
            "reload",
        ]) {
            expect(names).toContain(needed);
        }
    });
});

describe("doveadm client against servers configured otherwise", () => {
    beforeEach(() => resetEndpointState());

    it("names the command a least-privilege server does not allow (unAuthorized)", async () => {
        const sandbox = await startDovecot({
            extraConfig: ["doveadm_allowed_commands = mailbox list,mailbox status"],
        });
        try {
            const client = clientFor({ DOVEADM_ENDPOINT: sandbox.endpoint, DOVEADM_API_KEY: sandbox.apiKey });
            expect(await client.mailboxList(ALICE)).toContain("INBOX");
            const error = await failure(client.mailboxCreate(ALICE, ["Denied"]));
            expect(error).toBeInstanceOf(DoveadmCommandNotAllowedError);
            expect(error.code).toBe("DOVEADM_COMMAND_NOT_ALLOWED");
            expect(error.message).toContain("mailboxCreate");
            expect(error.message).toContain("doveadm_allowed_commands");
            expect(await sandbox.status(ALICE, "Denied")).toBeUndefined();
            // Other commands still work.
            expect(await client.mailboxList(ALICE)).toContain("INBOX");
        } finally {
            await sandbox.stop();
        }
    });

    it("reports a server without doveadm credentials configured (500) as a configuration error", async () => {
        const sandbox = await startDovecot({ auth: "none" });
        try {
            const client = clientFor({ DOVEADM_ENDPOINT: sandbox.endpoint, DOVEADM_API_KEY: "anything" });
            const error = await failure(client.mailboxList(ALICE));
            expect(error).toBeInstanceOf(DoveadmConfigError);
            expect(error.httpStatus).toBe(500);
            expect(error.message).toContain("doveadm_api_key");
        } finally {
            await sandbox.stop();
        }
    });
});
