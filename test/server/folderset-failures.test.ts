// A FolderSet apply that fails half-way records every folder the set managed before and every
// folder it made, found by GUID, so none is forgotten: the next apply goes on from there, and
// destroy still removes them. Renaming a parent and its child in one apply works.
import { startFaultProxy } from "../harness/fault-proxy";
import { call, checkAndCreate, configure, configureFor, Loose, rejection } from "../harness/providers";
import { dovecotForSuite } from "../harness/suite";

const USER = "alice@example.org";

/** check() of a FolderSet's new inputs against its recorded outputs. */
async function inputs(
    olds: Loose,
    folders: Array<Record<string, unknown>>,
    extra: Record<string, unknown> = {},
) {
    const checked = await call("folders", "check", olds, { user: USER, folders, ...extra });
    expect(checked.failures).toBeUndefined();
    return checked.inputs;
}

describe("FolderSet applies that fail half-way", () => {
    const sandbox = dovecotForSuite();

    beforeAll(() => configureFor(sandbox));
    afterEach(async () => {
        for (const name of await sandbox.listMailboxes(USER))
            if (name !== "INBOX")
                await sandbox.doveadmResult(["mailbox", "delete", "-s", "-u", USER, "--", name]);
    });

    it("a rename the server refuses keeps the folder, with its mail, under its old name; the corrected rename moves it", async () => {
        const { id, outs } = await checkAndCreate("folders", { user: USER, folders: [{ name: "Old" }] });
        await sandbox.deliver(USER, "Old", 2);
        const guid = (await sandbox.status(USER, "Old"))?.guid;

        // Maildir++ refuses '.' in a name (exit 64).
        const bad = await inputs(outs, [{ name: "C.x", renamedFrom: "Old" }]);
        const failure = await rejection(call("folders", "update", id, outs, bad));
        expect(failure?.name).toBe("PartialFailureError");
        expect(failure.message).toMatch(/rejected the new name/);
        const recorded = failure.properties;
        expect(recorded.mailboxes).toEqual([
            expect.objectContaining({ name: "Old", declaredName: "Old", guid, messages: 2 }),
        ]);
        expect(await sandbox.status(USER, "Old")).toMatchObject({ guid, messages: 2 });

        // The program corrects the name: the same folder is renamed, no empty one is made.
        const good = await inputs(recorded, [{ name: "C-x", renamedFrom: "Old" }]);
        expect((await call("folders", "diff", id, recorded, good)).changes).toBe(true);
        const { outs: after } = await call("folders", "update", id, recorded, good);
        expect(after.mailboxes).toEqual([expect.objectContaining({ name: "C-x", guid, messages: 2 })]);
        expect(await sandbox.listMailboxes(USER)).toEqual(["C-x", "INBOX"]);
        expect(await sandbox.status(USER, "C-x")).toMatchObject({ guid, messages: 2 });
    });

    it("renames sent together: one the server refuses keeps its folder; the others of its request are done and recorded", async () => {
        const { id, outs } = await checkAndCreate("folders", {
            user: USER,
            folders: [{ name: "A" }, { name: "B" }, { name: "C" }],
        });
        await sandbox.deliver(USER, "A", 1);
        await sandbox.deliver(USER, "C", 2);
        const guid = new Map<string, string | undefined>();
        for (const name of ["A", "B", "C"]) guid.set(name, (await sandbox.status(USER, name))?.guid);

        // The first rename of the request is refused (Maildir++: no '.'); the two after it are not.
        const renamed = await inputs(outs, [
            { name: "A.x", renamedFrom: "A" },
            { name: "B2", renamedFrom: "B" },
            { name: "C2", renamedFrom: "C" },
        ]);
        const failure = await rejection(call("folders", "update", id, outs, renamed));
        expect(failure?.name).toBe("PartialFailureError");
        expect(failure.message).toMatch(/mailboxRename.*"A".*"A\.x"|rejected the new name/);
        const recorded = failure.properties;
        expect(recorded.mailboxes).toEqual([
            expect.objectContaining({ name: "B2", declaredName: "B2", guid: guid.get("B") }),
            expect.objectContaining({ name: "C2", declaredName: "C2", guid: guid.get("C"), messages: 2 }),
            expect.objectContaining({ name: "A", declaredName: "A", guid: guid.get("A"), messages: 1 }),
        ]);
        expect(await sandbox.listMailboxes(USER)).toEqual(["A", "B2", "C2", "INBOX"]);
        expect(await sandbox.status(USER, "C2")).toMatchObject({ guid: guid.get("C"), messages: 2 });
        // The renamed folders' old names are no longer subscribed; the new ones are set by the next apply.
        expect((await sandbox.listSubscriptions(USER)).sort()).toEqual(["A"]);

        // The next apply from that record renames the rest (the corrected name) and moves nothing twice.
        const corrected = await inputs(recorded, [
            { name: "A-x", renamedFrom: "A" },
            { name: "B2", renamedFrom: "B" },
            { name: "C2", renamedFrom: "C" },
        ]);
        const { outs: after } = await call("folders", "update", id, recorded, corrected);
        expect(await sandbox.listMailboxes(USER)).toEqual(["A-x", "B2", "C2", "INBOX"]);
        expect(await sandbox.status(USER, "A-x")).toMatchObject({ guid: guid.get("A"), messages: 1 });
        expect((await sandbox.listSubscriptions(USER)).sort()).toEqual(["A-x", "B2", "C2"]);
        expect(after.mailboxes.map((m: { guid: string }) => m.guid)).toEqual(
            ["A", "B", "C"].map((n) => guid.get(n)),
        );
    });

    it("a create the server refuses keeps the folder that was to be removed, and destroy still removes it", async () => {
        const { id, outs } = await checkAndCreate("folders", {
            user: USER,
            folders: [{ name: "A" }, { name: "B" }],
        });
        const guids = Object.fromEntries(outs.mailboxes.map((m: Loose) => [m.name, m.guid]));

        const failure = await rejection(
            call("folders", "update", id, outs, await inputs(outs, [{ name: "A" }, { name: "C.x" }])),
        );
        expect(failure?.name).toBe("PartialFailureError");
        const recorded = failure.properties;
        expect(recorded.mailboxes.map((m: Loose) => [m.name, m.guid]).sort()).toEqual([
            ["A", guids.A],
            ["B", guids.B],
        ]);
        expect((await sandbox.listMailboxes(USER)).sort()).toEqual(["A", "B", "INBOX"]);

        await call("folders", "delete", id, recorded);
        expect(await sandbox.listMailboxes(USER)).toEqual(["INBOX"]);
    });

    it("folders made before a later step failed are recorded, by the GUID the server gave them", async () => {
        const { id, outs } = await checkAndCreate("folders", { user: USER, folders: [{ name: "Keep" }] });
        await sandbox.deliver(USER, "Keep", 1);
        // Removing Keep (it holds mail, and forceDestroy is off) is refused in the plan: nothing is done.
        const refused = await rejection(
            call("folders", "update", id, outs, await inputs(outs, [{ name: "New1" }])),
        );
        expect(refused?.code).toBe("DOVEADM_FOLDERSET_REFUSED");
        expect(await sandbox.listMailboxes(USER)).toEqual(["INBOX", "Keep"]);

        // The creates (with their subscriptions) go through, then unsubscribing Keep, the step after
        // them, fails (a server error, not retried).
        const proxy = await startFaultProxy({
            target: sandbox.endpoint,
            rules: [{ command: "mailboxUnsubscribe", action: { kind: "exit", exitCode: 70 } }],
        });
        try {
            await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
            const next = await inputs(outs, [
                { name: "Keep", subscribed: false },
                { name: "New1" },
                { name: "New2" },
            ]);
            const failure = await rejection(call("folders", "update", id, outs, next));
            expect(failure?.name).toBe("PartialFailureError");
            expect(failure.message).toMatch(/mailboxUnsubscribe/);
            const recorded = failure.properties.mailboxes;
            expect(recorded.map((m: Loose) => m.name).sort()).toEqual(["Keep", "New1", "New2"]);
            for (const m of recorded) expect((await sandbox.status(USER, m.name))?.guid).toBe(m.guid);

            // The next apply only fixes the subscription; destroy removes all three.
            proxy.setRules([]);
            expect((await call("folders", "diff", id, failure.properties, next)).changes).toBe(true);
            const { outs: fixed } = await call("folders", "update", id, failure.properties, next);
            expect(fixed.mailboxes.map((m: Loose) => m.guid).sort()).toEqual(
                recorded.map((m: Loose) => m.guid).sort(),
            );
            expect((await sandbox.listSubscriptions(USER)).sort()).toEqual(["New1", "New2"]);
            await call("folders", "delete", id, { ...fixed, forceDestroy: true });
            expect(await sandbox.listMailboxes(USER)).toEqual(["INBOX"]);
        } finally {
            await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
            await proxy.close();
        }
    });

    it("renames a parent and its child in one apply", async () => {
        const { id, outs } = await checkAndCreate("folders", {
            user: USER,
            folders: [{ name: "P" }, { name: "P/C" }, { name: "P/Stay" }],
        });
        await sandbox.deliver(USER, "P/C", 1);
        const before = Object.fromEntries(outs.mailboxes.map((m: Loose) => [m.name, m.guid]));
        const next = await inputs(outs, [
            { name: "Q", renamedFrom: "P" },
            { name: "Q/D", renamedFrom: "P/C" },
            { name: "Q/Stay", renamedFrom: "P/Stay" },
        ]);
        const { outs: after } = await call("folders", "update", id, outs, next);
        const now = Object.fromEntries(after.mailboxes.map((m: Loose) => [m.name, m.guid]));
        expect(now).toEqual({ Q: before.P, "Q/D": before["P/C"], "Q/Stay": before["P/Stay"] });
        expect(await sandbox.status(USER, "Q/D")).toMatchObject({ guid: before["P/C"], messages: 1 });
        expect((await sandbox.listMailboxes(USER)).sort()).toEqual(["INBOX", "Q", "Q/D", "Q/Stay"]);
        expect((await sandbox.listSubscriptions(USER)).sort()).toEqual(["Q", "Q/D", "Q/Stay"]);
        // A child carried along by its parent's rename, without a renamedFrom of its own.
        const carried = await inputs(after, [
            { name: "R", renamedFrom: "Q" },
            { name: "R/D" },
            { name: "R/Stay" },
        ]);
        const { outs: last } = await call("folders", "update", id, after, carried);
        expect(Object.fromEntries(last.mailboxes.map((m: Loose) => [m.name, m.guid]))).toEqual({
            R: before.P,
            "R/D": before["P/C"],
            "R/Stay": before["P/Stay"],
        });
        expect((await sandbox.listSubscriptions(USER)).sort()).toEqual(["R", "R/D", "R/Stay"]);
    });

    it("refuses, before renaming anything, a parent's rename that would make a child's name too long", async () => {
        const child = `P/${"c".repeat(240)}`;
        const { id, outs } = await checkAndCreate("folders", {
            user: USER,
            folders: [{ name: "P" }, { name: child }],
        });
        const next = await inputs(outs, [{ name: "Q".repeat(20), renamedFrom: "P" }, { name: child }]);
        const failure = await rejection(call("folders", "update", id, outs, next));
        expect(failure?.code).toBe("DOVEADM_FOLDERSET_REFUSED");
        expect(failure.message).toMatch(/too long/);
        expect((await sandbox.listMailboxes(USER)).sort()).toEqual(["INBOX", "P", child]);
    });
});
