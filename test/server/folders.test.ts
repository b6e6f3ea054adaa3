// The FolderSet provider (one user's whole layout as one resource) against a real Dovecot.
import { configureFor, providerOf } from "../harness/providers";
import { failure } from "../harness/failure";
import { dovecotForSuite } from "../harness/suite";

const call = providerOf("folders");

describe("FolderSet provider against a real Dovecot", () => {
    const sandbox = dovecotForSuite({ users: ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"] });
    let n = 0;
    let user: string;

    beforeAll(() => configureFor(sandbox));
    beforeEach(() => {
        user = `u${n++}@example.org`;
    });

    async function create(folders: unknown[], extra: Record<string, unknown> = {}) {
        const checked = await call("check", {}, { user, folders, ...extra });
        expect(checked.failures).toBeUndefined();
        return call("create", checked.inputs);
    }

    it("validates each folder and refuses duplicates", async () => {
        const { failures } = await call(
            "check",
            {},
            { user, folders: [{ name: "A//B" }, { name: "X" }, { name: "X" }] },
        );
        expect(failures).toHaveLength(1);
        expect(failures[0].property).toBe("folders");
        expect(failures[0].reason).toMatch(/adjacent/);
        expect(failures[0].reason).toMatch(/"X" twice/);
    });

    it("creates a whole layout with subscriptions as declared", async () => {
        const { id, outs } = await create([
            { name: "Work" },
            { name: "Work/2026" },
            { name: "Lists", subscribed: false },
        ]);
        expect(id).toContain(user);
        expect(await sandbox.listMailboxes(user)).toEqual(
            expect.arrayContaining(["Work", "Work/2026", "Lists"]),
        );
        const subscriptions = await sandbox.listSubscriptions(user);
        expect(subscriptions).toEqual(expect.arrayContaining(["Work", "Work/2026"]));
        expect(subscriptions).not.toContain("Lists");
        expect(outs.mailboxes).toHaveLength(3);
        for (const m of outs.mailboxes) expect((await sandbox.status(user, m.name))?.guid).toBe(m.guid);
    });

    it("refuses an existing folder without adopt and changes nothing; adopts it with adopt", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", user, "Old"]);
        await sandbox.deliver(user, "Old", 2);
        const error = await failure(create([{ name: "New" }, { name: "Old" }]));
        expect(error.code).toBe("DOVEADM_FOLDERSET_REFUSED");
        expect(error.message).toContain('"Old" already exists');
        expect(await sandbox.status(user, "New")).toBeUndefined();
        const { outs } = await create([{ name: "New" }, { name: "Old" }], { adopt: true });
        expect(outs.mailboxes.find((m: { name: string }) => m.name === "Old").messages).toBe(2);
    });

    it("adds, renames in place (keeping GUID and mail), re-subscribes and removes", async () => {
        const { id, outs } = await create([{ name: "Keep" }, { name: "Move" }, { name: "Drop" }]);
        const moveGuid = (await sandbox.status(user, "Move"))?.guid;
        await sandbox.deliver(user, "Move", 1);
        const news = {
            user,
            folders: [
                { name: "Keep", subscribed: false },
                { name: "Moved", subscribed: true, renamedFrom: "Move" },
                { name: "Added", subscribed: true },
            ],
            forceDestroy: false,
            adopt: false,
        };
        expect((await call("diff", id, outs, news)).changes).toBe(true);
        const { outs: after } = await call("update", id, outs, news);
        expect(await sandbox.status(user, "Moved")).toEqual({ guid: moveGuid, messages: 1 });
        expect(await sandbox.status(user, "Move")).toBeUndefined();
        expect(await sandbox.status(user, "Drop")).toBeUndefined();
        expect(await sandbox.status(user, "Added")).toBeDefined();
        const subscriptions = await sandbox.listSubscriptions(user);
        expect(subscriptions).toEqual(expect.arrayContaining(["Moved", "Added"]));
        expect(subscriptions).not.toContain("Keep");
        expect(subscriptions).not.toContain("Move");
        expect((await call("diff", id, after, news)).changes).toBe(false);
    });

    it("refuses to remove a folder that holds messages, changing nothing, unless forceDestroy", async () => {
        const { id, outs } = await create([{ name: "Full" }, { name: "Other" }]);
        await sandbox.deliver(user, "Full", 3);
        const news = {
            user,
            folders: [{ name: "Other" }, { name: "Extra" }],
            forceDestroy: false,
            adopt: false,
        };
        const checked = (await call("check", {}, news)).inputs;
        const error = await failure(call("update", id, outs, checked));
        expect(error.message).toContain('"Full" holds 3 messages');
        expect(await sandbox.status(user, "Extra")).toBeUndefined();
        expect((await sandbox.status(user, "Full"))?.messages).toBe(3);
        await call("update", id, outs, { ...checked, forceDestroy: true });
        expect(await sandbox.status(user, "Full")).toBeUndefined();
    });

    it("sees an out-of-band rename on read, and renames it back on update", async () => {
        const { id, outs } = await create([{ name: "Home" }]);
        const guid = (await sandbox.status(user, "Home"))?.guid;
        await sandbox.doveadm(["mailbox", "rename", "-u", user, "Home", "Away"]);
        const read = await call("read", id, outs);
        expect(read.props.mailboxes[0]).toMatchObject({ name: "Away", declaredName: "Home", guid });
        expect(read.inputs.folders).toEqual([{ name: "Away", subscribed: false }]);
        const news = {
            user,
            folders: [{ name: "Home", subscribed: true }],
            forceDestroy: false,
            adopt: false,
        };
        expect((await call("diff", id, read.props, news)).changes).toBe(true);
        await call("update", id, read.props, news);
        expect((await sandbox.status(user, "Home"))?.guid).toBe(guid);
        expect(await sandbox.listSubscriptions(user)).toContain("Home");
    });

    it("drops a folder deleted out of band on read, and creates it again on update", async () => {
        const { id, outs } = await create([{ name: "Lost" }, { name: "Stays" }]);
        await sandbox.doveadm(["mailbox", "delete", "-u", user, "Lost"]);
        const read = await call("read", id, outs);
        expect(read.props.mailboxes.map((m: { name: string }) => m.name)).toEqual(["Stays"]);
        await call("update", id, read.props, {
            user,
            folders: [
                { name: "Lost", subscribed: true },
                { name: "Stays", subscribed: true },
            ],
            forceDestroy: false,
            adopt: false,
        });
        expect(await sandbox.status(user, "Lost")).toBeDefined();
    });

    it("deletes empty folders on destroy, refuses non-empty ones, and never deletes INBOX", async () => {
        const { id, outs } = await create([{ name: "INBOX" }, { name: "E1" }, { name: "E2" }]);
        await sandbox.deliver(user, "E2", 1);
        await sandbox.deliver(user, "INBOX", 1);
        const error = await failure(call("delete", id, outs));
        expect(error.message).toContain('"E2" holds 1 message');
        expect(await sandbox.status(user, "E1")).toBeDefined();
        await call("delete", id, { ...outs, forceDestroy: true });
        expect(await sandbox.status(user, "E1")).toBeUndefined();
        expect(await sandbox.status(user, "E2")).toBeUndefined();
        expect((await sandbox.status(user, "INBOX"))?.messages).toBe(1);
    });
});
