// Queued operations of one user are merged into the commands' array forms, and a failure in a merged
// command is pinned on exactly the mailbox it belongs to. Counted with the client's request hook;
// the outcome is checked with the doveadm command line.
import { DoveadmClient, resetEndpointState } from "../../provider/client/client";
import { DoveadmConflictError, DoveadmError, DoveadmUsageError } from "../../provider/client/errors";
import { resolveSettings } from "../../provider/settings";
import { dovecotForSuite } from "../harness/suite";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

describe("merging one user's queued operations", () => {
    const sandbox = dovecotForSuite();
    let client: DoveadmClient;
    const requests: string[] = [];

    beforeEach(() => {
        resetEndpointState();
        requests.length = 0;
        client = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: sandbox.endpoint,
                DOVEADM_API_KEY: sandbox.apiKey,
            }),
            {
                onRequest: (command) => requests.push(command),
            },
        );
    });

    const settled = (promises: Array<Promise<unknown>>) => Promise.allSettled(promises);

    it("creates many mailboxes of one user in one request (a create per name and the read-back), after one look", async () => {
        await sandbox.status(ALICE, "INBOX"); // opens the user's mail (see withInbox in commands.ts)
        const names = Array.from({ length: 20 }, (_, i) => `Bulk/${i}`);
        const created = await Promise.all(names.map((name) => client.createMailbox(ALICE, name)));
        expect(requests).toEqual(["mailboxStatus+mailboxList", "mailboxCreate+mailboxStatus"]);
        for (const [i, status] of created.entries()) {
            expect(status.name).toBe(names[i]);
            expect((await sandbox.status(ALICE, names[i] as string))?.guid).toBe(status.guid);
        }
        const onServer = await sandbox.listMailboxes(ALICE);
        for (const name of names) expect(onServer).toContain(name);
    });

    it("pins an existing name on that mailbox only, and creates the others", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Mixed/2"]);
        await sandbox.deliver(ALICE, "Mixed/2", 1);
        const names = ["Mixed/1", "Mixed/2", "Mixed/3"];
        const results = await settled(names.map((name) => client.createMailbox(ALICE, name)));
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        const error = (results[1] as PromiseRejectedResult).reason as DoveadmError;
        expect(error).toBeInstanceOf(DoveadmConflictError);
        expect(error.message).toContain('"Mixed/2"');
        expect(error.message).not.toContain("Mixed/1");
        expect((await sandbox.status(ALICE, "Mixed/2"))?.messages).toBe(1);
        expect(await sandbox.status(ALICE, "Mixed/1")).toBeDefined();
        expect(await sandbox.status(ALICE, "Mixed/3")).toBeDefined();
    });

    it("pins a name the server refuses (exit 64) on that mailbox only, falling back to one at a time", async () => {
        const names = ["Valid/A", "in.valid", "Valid/B"];
        const results = await settled(names.map((name) => client.createMailbox(ALICE, name)));
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        const error = (results[1] as PromiseRejectedResult).reason as DoveadmError;
        expect(error).toBeInstanceOf(DoveadmUsageError);
        expect(error.message).toContain('"in.valid"');
        expect(await sandbox.status(ALICE, "Valid/A")).toBeDefined();
        expect(await sandbox.status(ALICE, "Valid/B")).toBeDefined();
    });

    it("deletes many at once and pins a non-empty mailbox on itself, keeping its messages", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "D/1", "D/2", "D/3"]);
        await sandbox.deliver(BOB, "D/2", 2);
        const results = await settled(
            ["D/1", "D/2", "D/3"].map((name) => client.deleteMailbox(BOB, name, { requireEmpty: true })),
        );
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        expect(((results[1] as PromiseRejectedResult).reason as DoveadmError).exitCode).toBe(65);
        expect(await sandbox.status(BOB, "D/1")).toBeUndefined();
        expect((await sandbox.status(BOB, "D/2"))?.messages).toBe(2);
        expect(await sandbox.status(BOB, "D/3")).toBeUndefined();
    });

    it("reads many statuses of one user with one mailboxStatus", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "S/1", "S/2", "S/3"]);
        const found = await Promise.all(
            ["S/1", "S/2", "S/3", "S/missing"].map((name) => client.findStatus(BOB, name)),
        );
        expect(found.map((s) => s?.name)).toEqual(["S/1", "S/2", "S/3", undefined]);
        expect(requests).toEqual(["mailboxStatus"]);
    });

    it("subscribes many names with one mailboxSubscribe", async () => {
        await Promise.all(["L/1", "L/2", "L/3"].map((name) => client.setSubscribed(BOB, name, true)));
        expect(requests).toEqual(["mailboxSubscribe"]);
        expect(await sandbox.listSubscriptions(BOB)).toEqual(expect.arrayContaining(["L/1", "L/2", "L/3"]));
    });

    it("keeps the order of operations on one mailbox", async () => {
        const steps = [
            client.createMailbox(BOB, "Order"),
            client.deleteMailbox(BOB, "Order", { requireEmpty: true }),
            client.createMailbox(BOB, "Order"),
        ];
        await Promise.all(steps);
        expect(await sandbox.status(BOB, "Order")).toBeDefined();
    });

    it("takes a snapshot of a user in one request, reuses it, and drops it after a write", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Snap"]);
        await sandbox.doveadm(["mailbox", "subscribe", "-u", ALICE, "Snap"]);
        const [a, b] = await Promise.all([client.snapshot(ALICE), client.snapshot(ALICE)]);
        expect(a).toBe(b);
        expect(a.mailboxes.map((m) => m.name)).toContain("Snap");
        expect(a.subscriptions).toContain("Snap");
        expect(requests).toEqual(["mailboxStatus+mailboxList"]);
        await client.snapshot(ALICE);
        expect(requests).toHaveLength(1);
        await client.createMailbox(ALICE, "AfterSnap");
        const fresh = await client.snapshot(ALICE);
        expect(fresh.mailboxes.map((m) => m.name)).toContain("AfterSnap");
    });

    it("still takes a complete snapshot when a non-mailbox parent makes `mailboxStatus *` fail", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "Hollow/Kid", "Hollow"]);
        await sandbox.doveadm(["mailbox", "delete", "-u", BOB, "Hollow"]);
        const snapshot = await client.snapshot(BOB);
        expect(snapshot.mailboxes.map((m) => m.name)).toEqual(
            expect.arrayContaining(["INBOX", "Hollow/Kid"]),
        );
        expect(snapshot.mailboxes.map((m) => m.name)).not.toContain("Hollow");
    });
});
