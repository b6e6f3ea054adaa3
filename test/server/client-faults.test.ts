// Faults between the client and a real Dovecot, injected by a proxy (test/harness/fault-proxy.ts):
// connections closed without an answer (before and after the server ran the command), exit 75, a slow
// server, a reload in the middle of an apply, and 401 / configuration errors. After each, the server's
// state is read with the doveadm command line, never only through the client under test.
import { DoveadmClient, resetEndpointState } from "../../provider/client/client";
import {
    DoveadmAuthError,
    DoveadmConfigError,
    DoveadmError,
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
} from "../../provider/client/errors";
import { DEFAULT_RETRY_POLICY, RetryPolicy } from "../../provider/client/retry";
import { configure as configureHost, providerOf } from "../harness/providers";
import { creatorOf, ownedBy } from "../../provider/ownership";
import { resolveSettings } from "../../provider/settings";
import { FaultProxy, deferred, startFaultProxy } from "../harness/fault-proxy";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { failure } from "../harness/failure";

jest.setTimeout(90_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const quick: RetryPolicy = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 80 };

const mailbox = providerOf("mailbox");

async function createViaProvider(user: string, name: string): Promise<Loose> {
    const { inputs, failures } = await mailbox("check", {}, { user, name, __provider: "provider text" });
    expect(failures).toBeUndefined();
    return mailbox("create", inputs);
}

describe("fault injection between the client and a real Dovecot", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let retries: Array<{ code: string; attempt: number; delayMs: number }>;

    const client = (settings: Record<string, string> = {}, policy: RetryPolicy = quick) =>
        new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: proxy.endpoint,
                DOVEADM_API_KEY: sandbox.apiKey,
                ...settings,
            }),
            { onRetry: (error, attempt, delayMs) => retries.push({ code: error.code, attempt, delayMs }) },
            policy,
        );
    /** How many of the user's mailboxes have exactly this name, as the storage lists them. */
    const copies = async (user: string, name: string) =>
        (await sandbox.listMailboxes(user)).filter((n) => n === name).length;

    beforeAll(async () => {
        sandbox = await startDovecot();
        proxy = await startFaultProxy({ target: sandbox.endpoint });
    });
    afterAll(async () => {
        await proxy?.close();
        await sandbox?.stop();
    });
    beforeEach(() => {
        resetEndpointState();
        proxy.setRules([]);
        proxy.reset();
        retries = [];
    });

    describe("a connection closed without an answer", () => {
        it("after the server created the mailbox: re-reads, finds it, and does not send the create again", async () => {
            proxy.setRules([{ command: "mailboxCreate", action: { kind: "close-after" }, times: 1 }]);
            await client().createMailbox(ALICE, "Lost/Answer");

            expect(await copies(ALICE, "Lost/Answer")).toBe(1);
            expect(proxy.count("mailboxCreate")).toBe(1);
            // The create went out with its read-back in one request. The re-read came after the lost
            // answer, before anything else was sent; then the lost read-back was asked again.
            const commands = proxy.requests.map((r) => r.commands.join("+"));
            expect(commands.slice(commands.indexOf("mailboxCreate+mailboxStatus"))).toEqual([
                "mailboxCreate+mailboxStatus",
                "mailboxStatus",
                "mailboxStatus",
            ]);
        });

        it("before the server saw the request: re-reads, finds nothing, and creates it once", async () => {
            proxy.setRules([{ command: "mailboxCreate", action: { kind: "close-before" }, times: 1 }]);
            await client().createMailbox(ALICE, "Never/Arrived");

            expect(await copies(ALICE, "Never/Arrived")).toBe(1);
            expect(proxy.count("mailboxCreate")).toBe(2);
            const commands = proxy.requests.map((r) => r.commands.join("+"));
            const first = commands.indexOf("mailboxCreate+mailboxStatus");
            expect(commands.slice(first)).toEqual([
                "mailboxCreate+mailboxStatus",
                "mailboxStatus",
                "mailboxCreate",
                "mailboxStatus",
            ]);
            expect(retries.map((r) => r.code)).toEqual(["DOVEADM_CONNECTION_CLOSED"]);
        });

        it("through the Mailbox provider: no duplicate, no false 'already exists', the id is the server's GUID", async () => {
            await configureHost({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            proxy.setRules([{ command: "mailboxCreate", action: { kind: "close-after" }, times: 1 }]);
            const { id, outs } = await createViaProvider(BOB, "Provider/Lost");
            expect(id).toBe((await sandbox.status(BOB, "Provider/Lost"))?.guid);
            expect(outs.name).toBe("Provider/Lost");
            expect(await copies(BOB, "Provider/Lost")).toBe(1);
            expect(proxy.count("mailboxCreate")).toBe(1);
            expect(await sandbox.listSubscriptions(BOB)).toContain("Provider/Lost");

            // Rename and delete with their answers lost: done once, reported as done.
            proxy.setRules([
                { command: "mailboxRename", action: { kind: "close-after" }, times: 1 },
                { command: "mailboxDelete", action: { kind: "close-after" }, times: 1 },
                { command: "mailboxSubscribe", action: { kind: "close-after" }, times: 1 },
            ]);
            const { outs: renamed } = await mailbox("update", id, outs, { ...outs, name: "Provider/Moved" });
            expect(renamed.guid).toBe(id);
            expect(await sandbox.status(BOB, "Provider/Moved")).toMatchObject({ guid: id });
            expect(await sandbox.status(BOB, "Provider/Lost")).toBeUndefined();
            expect(proxy.count("mailboxRename")).toBe(1);
            expect(await sandbox.listSubscriptions(BOB)).toContain("Provider/Moved");

            await mailbox("delete", id, renamed);
            expect(await sandbox.status(BOB, "Provider/Moved")).toBeUndefined();
            expect(proxy.count("mailboxDelete")).toBe(1);
            expect((await sandbox.listMailboxes(BOB)).filter((n) => n.startsWith("Provider/"))).toEqual([]);
        });

        it("a create cut off before it could be confirmed is recorded as pending (no GUID made up) and finished by the next update", async () => {
            await configureHost({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            // The create runs but its answer is lost, and every read after it fails too (server gone).
            proxy.setRules([
                { command: "mailboxCreate", action: { kind: "close-after" }, times: 1 },
                { command: "mailboxStatus", action: { kind: "close-before" }, skip: 1 },
            ]);
            const error: Loose = await createViaProvider(BOB, "Cut/Off").then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error?.name).toBe("PartialFailureError");
            expect(error.message).toMatch(/unknown whether the command ran/);
            const guid = (await sandbox.status(BOB, "Cut/Off"))?.guid;
            // Recorded under a provisional id, with no GUID: none was read back from the server.
            expect(error.id).toMatch(/^pending-[0-9a-f]{32}$/);
            expect(error.properties.guid).toBe("");
            expect(error.properties.__provider).toBe("provider text");

            proxy.setRules([]);
            const inputs = {
                user: BOB,
                name: "Cut/Off",
                subscribed: true,
                forceDestroy: false,
                adopt: false,
            };
            expect((await mailbox("diff", error.id, error.properties, inputs)).changes).toBe(true);
            const { outs } = await mailbox("update", error.id, error.properties, inputs);
            expect(outs.guid).toBe(guid);
            expect(await sandbox.status(BOB, "Cut/Off")).toMatchObject({ guid });
            expect(await copies(BOB, "Cut/Off")).toBe(1);
            expect(await sandbox.listSubscriptions(BOB)).toContain("Cut/Off");
            expect((await mailbox("diff", error.id, outs, inputs)).changes).toBe(false);
        });

        it("a create that never reached the server is recorded as pending and created by the next update", async () => {
            await configureHost({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            proxy.setRules([
                { command: "mailboxCreate", action: { kind: "close-before" } },
                { command: "mailboxStatus", action: { kind: "close-before" }, skip: 1 },
            ]);
            const error: Loose = await createViaProvider(BOB, "Not/Yet").then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error?.name).toBe("PartialFailureError");
            expect(error.id).toMatch(/^pending-[0-9a-f]{32}$/);
            expect(await sandbox.status(BOB, "Not/Yet")).toBeUndefined();

            proxy.setRules([]);
            const inputs = {
                user: BOB,
                name: "Not/Yet",
                subscribed: false,
                forceDestroy: false,
                adopt: false,
            };
            const { outs } = await mailbox("update", error.id, error.properties, inputs);
            expect(outs.guid).toMatch(/^[0-9a-f]{32}$/);
            expect(await sandbox.status(BOB, "Not/Yet")).toMatchObject({ guid: outs.guid });
            expect(await sandbox.listSubscriptions(BOB)).not.toContain("Not/Yet");
        });

        it("cut off between the create under its temporary name and the rename into place: the folder ends in place, nothing left under the temporary name", async () => {
            await configureHost({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            const temporaries = async () =>
                (await sandbox.listMailboxes(BOB)).filter((n) => n.includes("pulumi-dovecot-"));
            /** The request's commands go one by one: the create runs, then the connection closes. */
            const cutBeforeRename = (then?: () => void) => ({
                command: "mailboxCreate",
                times: 1,
                action: {
                    kind: "split" as const,
                    between: async (command: string) => {
                        if (command !== "mailboxRename") return;
                        then?.();
                        throw new Error("the server stops here");
                    },
                },
            });
            const tagged = (name: string) => ({
                user: BOB,
                name,
                __provider: "provider text",
                creator: creatorOf("Mailbox", "between", "test", name),
            });

            // The server is back at once: the read-back finds the folder under its temporary name
            // and the create puts it in place, in the same call.
            proxy.setRules([cutBeforeRename()]);
            const { inputs } = await mailbox("check", {}, tagged("Cut/Between"));
            const { id } = await mailbox("create", inputs);
            expect(proxy.count("mailboxRename")).toBe(2);
            expect(await sandbox.status(BOB, "Cut/Between")).toMatchObject({ guid: id, messages: 0 });
            expect(await temporaries()).toEqual([]);

            // The server stays away: nothing can be read back, so the create is recorded as pending,
            // and its folder stays under the temporary name until the next update deletes it (empty,
            // by its name) and makes the folder.
            proxy.setRules([
                cutBeforeRename(() =>
                    proxy.setRules([{ command: "mailboxStatus", action: { kind: "close-before" } }]),
                ),
            ]);
            const { inputs: later } = await mailbox("check", {}, tagged("Cut/Later"));
            const error: Loose = await mailbox("create", later).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error?.name).toBe("PartialFailureError");
            expect(error.id).toMatch(/^pending-[0-9a-f]{32}$/);
            const left = await temporaries();
            expect(left).toEqual([expect.stringMatching(/^Cut\/pulumi-dovecot-[0-9a-f]{32}$/)]);
            expect(await sandbox.status(BOB, "Cut/Later")).toBeUndefined();

            proxy.setRules([]);
            const { outs } = await mailbox("update", error.id, error.properties, later);
            expect(await sandbox.status(BOB, "Cut/Later")).toMatchObject({ guid: outs.guid, messages: 0 });
            expect(ownedBy(later.creator, BOB, outs.guid)).toBe(true);
            expect(await temporaries()).toEqual([]);
            expect(await copies(BOB, "Cut/Later")).toBe(1);
        });

        it("retries a read whose connection closed, and touches nothing", async () => {
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Read/Me"]);
            proxy.setRules([{ command: "mailboxStatus", action: { kind: "close-before" }, times: 2 }]);
            const status = await client().findStatus(ALICE, "Read/Me");
            expect(status?.guid).toBe((await sandbox.status(ALICE, "Read/Me"))?.guid);
            expect(proxy.count("mailboxStatus")).toBe(3);
            expect(retries).toHaveLength(2);
        });

        it("gives up on a write whose connections keep closing, with a message saying the outcome is unknown", async () => {
            proxy.setRules([{ command: "mailboxCreate", action: { kind: "close-before" } }]);
            const error = await failure(client().createMailbox(ALICE, "Always/Closed"));
            expect(error).toBeInstanceOf(DoveadmUnknownOutcomeError);
            expect(error.message).toContain("mailboxCreate");
            expect(error.message).toContain('"Always/Closed"');
            expect(error.message).toMatch(/unknown whether the command ran/);
            expect(proxy.count("mailboxCreate")).toBe(quick.maxAttempts);
            expect(await sandbox.status(ALICE, "Always/Closed")).toBeUndefined();
        });
    });

    describe("exit 75 (temporary failure)", () => {
        it("is retried with growing backoff, then succeeds", async () => {
            proxy.setRules([{ command: "mailboxCreate", action: { kind: "exit", exitCode: 75 }, times: 3 }]);
            const policy = { maxAttempts: 6, baseDelayMs: 40, maxDelayMs: 1000 };
            await client({}, policy).createMailbox(ALICE, "Temp/Busy");

            expect(await copies(ALICE, "Temp/Busy")).toBe(1);
            expect(proxy.count("mailboxCreate")).toBe(4);
            expect(retries.map((r) => r.code)).toEqual([
                "DOVEADM_TEMPORARY",
                "DOVEADM_TEMPORARY",
                "DOVEADM_TEMPORARY",
            ]);
            // Jittered within the upper half of a doubling ceiling: 20-40, 40-80, 80-160 ms.
            retries.forEach((r, i) => {
                const ceiling = policy.baseDelayMs * 2 ** i;
                expect(r.delayMs).toBeGreaterThanOrEqual(ceiling / 2);
                expect(r.delayMs).toBeLessThanOrEqual(ceiling);
            });
        });

        it("persistent: gives up after the default 6 attempts within the stated 7.75 s of waiting, with a clear message", async () => {
            proxy.setRules([{ command: "mailboxCreate", action: { kind: "exit", exitCode: 75 } }]);
            const started = Date.now();
            const error = await failure(
                client({}, DEFAULT_RETRY_POLICY).createMailbox(ALICE, "Temp/Forever"),
            );
            const elapsed = Date.now() - started;

            expect(error).toBeInstanceOf(DoveadmTemporaryError);
            expect(error.code).toBe("DOVEADM_TEMPORARY");
            expect(error.exitCode).toBe(75);
            expect(error.message).toContain("mailboxCreate");
            expect(error.message).toContain('"Temp/Forever"');
            expect(error.message).toMatch(/temporary failure/);
            expect(error.message).toMatch(/gave up after 6 attempts/);
            expect(proxy.count("mailboxCreate")).toBe(DEFAULT_RETRY_POLICY.maxAttempts);
            expect(retries).toHaveLength(5);
            const waited = retries.reduce((sum, r) => sum + r.delayMs, 0);
            expect(waited).toBeLessThanOrEqual(7_750);
            // It gives up rather than hanging: the waits plus six quick refusals, with room for a
            // loaded machine.
            expect(elapsed).toBeLessThan(7_750 + 30_000);
            expect(await sandbox.status(ALICE, "Temp/Forever")).toBeUndefined();
        });
    });

    describe("a slow server", () => {
        // The proxy holds a request unanswered until the test lets it go: what happens when is decided
        // by the requests the proxy sees, never by a clock. The client's timeout is long enough for any
        // other request on a loaded machine (the held one alone exceeds it).
        const TIMEOUT = { DOVEADM_TIMEOUT_MS: "2000" };

        it("a read that times out is reported as a timeout and retried", async () => {
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Slow/Read"]);
            const released = deferred<"forward" | "drop">();
            proxy.setRules([
                { command: "mailboxStatus", action: { kind: "hold", until: released.promise }, times: 1 },
                {
                    command: "mailboxStatus",
                    action: { kind: "before", run: async () => released.resolve("drop") },
                    times: 1,
                },
            ]);
            const status = await client(TIMEOUT).findStatus(ALICE, "Slow/Read");
            expect(status?.guid).toBe((await sandbox.status(ALICE, "Slow/Read"))?.guid);
            expect(retries.map((r) => r.code)).toEqual(["DOVEADM_TIMEOUT"]);
            expect(proxy.count("mailboxStatus")).toBe(2);
        });

        it("a write that times out is re-read before it is sent again; a late arrival is not reported as 'already exists'", async () => {
            // The create reaches Dovecot late: after the client's timeout and its re-read (which finds
            // nothing), just before its retry. The retry then meets the mailbox its own first request made.
            const released = deferred<"forward" | "drop">();
            const arrived = deferred<void>();
            proxy.setRules([
                {
                    command: "mailboxCreate",
                    action: { kind: "hold", until: released.promise, forwarded: () => arrived.resolve() },
                    times: 1,
                },
                {
                    command: "mailboxCreate",
                    action: {
                        kind: "before",
                        run: async () => {
                            released.resolve("forward");
                            await arrived.promise;
                        },
                    },
                    times: 1,
                },
            ]);
            const policy = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 20 };
            await client(TIMEOUT, policy).createMailbox(ALICE, "Slow/Write");

            expect(retries.map((r) => r.code)).toEqual(["DOVEADM_TIMEOUT"]);
            expect(await copies(ALICE, "Slow/Write")).toBe(1);
            const commands = proxy.requests.map((r) => r.commands.join("+"));
            const first = commands.indexOf("mailboxCreate+mailboxStatus");
            expect(commands.slice(first, first + 3)).toEqual([
                "mailboxCreate+mailboxStatus",
                "mailboxStatus",
                "mailboxCreate",
            ]);
        });

        it("a write that keeps timing out fails with a timeout that says the outcome is unknown", async () => {
            // Every delete is held, then dropped unsent once the client has given up.
            const released = deferred<"forward" | "drop">();
            proxy.setRules([{ command: "mailboxDelete", action: { kind: "hold", until: released.promise } }]);
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Slow/Keep"]);
            const error = await failure(
                client(TIMEOUT, { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 }).deleteMailbox(
                    ALICE,
                    "Slow/Keep",
                    { requireEmpty: true },
                ),
            );
            released.resolve("drop");
            expect(error).toBeInstanceOf(DoveadmUnknownOutcomeError);
            expect(error.code).toBe("DOVEADM_TIMEOUT");
            expect(error.message).toContain("within 2000 ms");
            expect(error.message).toContain('"Slow/Keep"');
            expect(proxy.count("mailboxDelete")).toBe(2);
            // Dropped unsent: the mailbox is still there.
            expect(await copies(ALICE, "Slow/Keep")).toBe(1);
        });
    });

    describe("a reload during an apply", () => {
        it("requests killed by reloads are retried safely: every mailbox exists exactly once", async () => {
            await configureHost({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
            const names = Array.from({ length: 40 }, (_, i) => `Reload/M${String(i).padStart(2, "0")}`);
            let stop = false;
            let reloads = 0;
            const reloader = (async () => {
                // doveadm reload through the command line, every 150 ms while the apply runs (bounded).
                for (let i = 0; i < 40 && !stop; i++) {
                    await sandbox.doveadm(["reload"]).catch(() => undefined);
                    reloads++;
                    await new Promise((resolve) => setTimeout(resolve, 150));
                }
            })();
            const results = await Promise.allSettled(
                names.flatMap((name) => [createViaProvider(ALICE, name), createViaProvider(BOB, name)]),
            );
            stop = true;
            await reloader;
            expect(reloads).toBeGreaterThan(0);
            const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
            expect(failed).toEqual([]);
            for (const user of [ALICE, BOB]) {
                const listed = (await sandbox.listMailboxes(user)).filter((n) => n.startsWith("Reload/"));
                expect(listed).toEqual(names);
            }
            const ids = results.map((r) => (r as PromiseFulfilledResult<Loose>).value.id);
            expect(new Set(ids).size).toBe(names.length * 2);
        });
    });

    describe("401 and configuration errors", () => {
        it("a wrong key stops all work at once: one request per slot at most, every resource gets the same error", async () => {
            await configureHost({
                "dovecot:endpoint": proxy.endpoint,
                "dovecot:apiKey": "wrong-key-0d3a",
                "dovecot:maxConcurrency": "2",
            });
            const users = Array.from({ length: 20 }, (_, i) => `user${i}@example.org`);
            const results = await Promise.allSettled(users.map((user) => createViaProvider(user, "Never")));
            const errors = results.map((r) => (r as PromiseRejectedResult).reason as DoveadmError);
            for (const error of errors) {
                expect(error).toBeInstanceOf(DoveadmAuthError);
                expect(error.message).toContain("rejected the credentials (HTTP 401)");
                expect(error.message).not.toContain("wrong-key-0d3a");
            }
            // Only the requests already in flight when the first 401 came back reached the server.
            expect(proxy.count("*")).toBeLessThanOrEqual(2);
        });

        it("a configuration error (HTTP 500, 404) stops all work at once", async () => {
            for (const status of [500, 404]) {
                await configureHost({
                    "dovecot:endpoint": proxy.endpoint,
                    "dovecot:apiKey": sandbox.apiKey,
                    "dovecot:maxConcurrency": "2",
                });
                proxy.reset();
                proxy.setRules([{ command: "*", action: { kind: "status", status } }]);
                const users = [ALICE, BOB, ...Array.from({ length: 10 }, (_, i) => `u${i}@example.org`)];
                const results = await Promise.allSettled(
                    users.map((user) => createViaProvider(user, `Cfg${status}`)),
                );
                for (const r of results) {
                    expect(r.status).toBe("rejected");
                    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DoveadmConfigError);
                    expect(String((r as PromiseRejectedResult).reason.message)).toContain(`HTTP ${status}`);
                }
                expect(proxy.count("*")).toBeLessThanOrEqual(2);
                expect(await sandbox.status(ALICE, `Cfg${status}`)).toBeUndefined();
            }
        });
    });
});
