// The Mailbox provider's methods against a real Dovecot, with the server's state checked through the
// doveadm command line (which reads the mail storage itself, not the HTTP API under test).
import { UNKNOWN } from "../../provider/check";
import { configureFor, providerOf } from "../harness/providers";
import { failure } from "../harness/failure";
import { dovecotForSuite } from "../harness/suite";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

type Props = Record<string, unknown> & {
    name: string;
    user: string;
    guid: string;
    messages: number;
    subscribed: boolean;
};

const call = providerOf("mailbox");

async function check(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    return call("check", olds, news);
}

async function create(news: Record<string, unknown>): Promise<{ id: string; outs: Props }> {
    const checked = await check(news);
    expect(checked.failures).toBeUndefined();
    return call("create", checked.inputs);
}

describe("Mailbox provider against a real Dovecot", () => {
    const sandbox = dovecotForSuite();
    const requests: string[] = [];

    beforeAll(() => configureFor(sandbox));
    beforeEach(() => {
        requests.length = 0;
    });

    describe("check", () => {
        it("applies defaults", async () => {
            const { inputs, failures } = await check({ user: ALICE, name: "Archive/2026" });
            expect(failures).toBeUndefined();
            expect(inputs).toEqual({
                user: ALICE,
                name: "Archive/2026",
                subscribed: true,
                forceDestroy: false,
                adopt: false,
            });
        });

        it.each([
            ["", "name", /empty/],
            ["a\u0007b", "name", /control/],
            ["/a", "name", /start with/],
            ["a/", "name", /end with/],
            ["a//b", "name", /adjacent/],
            ["a*", "name", /wildcards/],
            ["a%", "name", /wildcards/],
            ["x".repeat(300), "name", /too long/],
        ])("fails on name %j on the exact property", async (name, property, reason) => {
            const { failures } = await check({ user: ALICE, name });
            expect(failures).toHaveLength(1);
            expect(failures[0].property).toBe(property);
            expect(failures[0].reason).toMatch(reason);
        });

        it("fails on a wildcard user and a non-boolean flag, each on its property", async () => {
            const { failures } = await check({ user: "*", name: "A", forceDestroy: "yes" });
            expect(failures.map((f: { property: string }) => f.property).sort()).toEqual([
                "forceDestroy",
                "user",
            ]);
        });

        it("lets values that are unknown at preview time through", async () => {
            const { inputs, failures } = await check({ user: UNKNOWN, name: UNKNOWN });
            expect(failures).toBeUndefined();
            expect(inputs.user).toBe(UNKNOWN);
            expect(inputs.name).toBe(UNKNOWN);
        });

        it("refuses renaming INBOX before any request", async () => {
            const { failures } = await check(
                { user: ALICE, name: "Elsewhere" },
                { user: ALICE, name: "INBOX" },
            );
            expect(failures[0].property).toBe("name");
            expect(failures[0].reason).toMatch(/INBOX cannot be renamed/);
        });

        it("refuses renaming a mailbox into its own subfolder before any request", async () => {
            const { failures } = await check(
                { user: ALICE, name: "Notes/Up" },
                { user: ALICE, name: "Notes" },
            );
            expect(failures[0].property).toBe("name");
            expect(failures[0].reason).toMatch(/own subfolder/);
            expect(
                (await check({ user: ALICE, name: "Notes2" }, { user: ALICE, name: "Notes" })).failures,
            ).toBeUndefined();
        });

        it("spells INBOX in one way", async () => {
            const { inputs } = await check({ user: ALICE, name: "inbox" });
            expect(inputs.name).toBe("INBOX");
        });
    });

    describe("diff", () => {
        const G = "0123456789abcdef0123456789abcdef";
        const olds = {
            user: ALICE,
            name: "A",
            subscribed: true,
            forceDestroy: false,
            adopt: false,
            guid: G,
            messages: 3,
        };
        it("reports no change when the inputs match, whatever the counters", async () => {
            const d = await call("diff", G, olds, {
                user: ALICE,
                name: "A",
                subscribed: true,
                forceDestroy: false,
                adopt: false,
            });
            expect(d.changes).toBe(false);
            expect(d.replaces).toEqual([]);
        });
        it("updates in place on a rename and a subscription change", async () => {
            const d = await call("diff", G, olds, { ...olds, name: "B", subscribed: false });
            expect(d).toMatchObject({ changes: true, replaces: [] });
        });
        it("replaces, deleting first, when the user changes", async () => {
            const d = await call("diff", G, olds, { ...olds, user: BOB });
            expect(d).toMatchObject({ changes: true, replaces: ["user"], deleteBeforeReplace: true });
        });
    });

    it("creates a subscribed mailbox and reports its GUID and counters", async () => {
        const { id, outs } = await create({ user: ALICE, name: "Archive/2026" });
        const onServer = await sandbox.status(ALICE, "Archive/2026");
        expect(onServer).toBeDefined();
        expect(id).toBe(onServer?.guid);
        expect(outs).toMatchObject({
            user: ALICE,
            name: "Archive/2026",
            guid: id,
            messages: 0,
            subscribed: true,
        });
        expect(typeof outs.uidValidity).toBe("number");
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Archive/2026");
    });

    it("creates an unsubscribed mailbox", async () => {
        await create({ user: ALICE, name: "Quiet", subscribed: false });
        expect(await sandbox.status(ALICE, "Quiet")).toBeDefined();
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Quiet");
    });

    it("creates non-ASCII names exactly", async () => {
        const { outs } = await create({ user: ALICE, name: "Entwürfe/子" });
        expect(outs.name).toBe("Entwürfe/子");
        expect(await sandbox.listMailboxes(ALICE)).toContain("Entwürfe/子");
    });

    it("refuses to create over an existing mailbox, points to adopt, and leaves it as it was", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Existing"]);
        await sandbox.deliver(ALICE, "Existing", 2);
        const before = await sandbox.status(ALICE, "Existing");
        const error = await failure(create({ user: ALICE, name: "Existing" }));
        expect(error.code).toBe("DOVEADM_MAILBOX_EXISTS");
        expect(error.message).toContain("adopt: true");
        expect(error.message).toContain(ALICE);
        expect(error.message).toContain('"Existing"');
        // Dovecot 2.3 rewrites the GUID of an existing mailbox even while refusing to create it, so
        // the provider must not have sent the create at all.
        expect(await sandbox.status(ALICE, "Existing")).toEqual(before);
    });

    it("adopts an existing mailbox with its messages", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Adoptee"]);
        await sandbox.deliver(ALICE, "Adoptee", 3);
        const before = await sandbox.status(ALICE, "Adoptee");
        const { id, outs } = await create({ user: ALICE, name: "Adoptee", adopt: true });
        expect(id).toBe(before?.guid);
        expect(outs.messages).toBe(3);
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Adoptee");
    });

    it("reports a user the server does not know, clearly", async () => {
        const error = await failure(create({ user: "ghost@example.org", name: "X" }));
        expect(error.code).toBe("DOVEADM_NO_USER");
        expect(error.message).toContain("ghost@example.org");
    });

    it("reports a name the storage refuses (exit 64) with advice", async () => {
        // The sandbox uses the Maildir++ layout, where '.' cannot be part of a name.
        const error = await failure(create({ user: ALICE, name: "a.b" }));
        expect(error.code).toBe("DOVEADM_INVALID_NAME");
        expect(error.exitCode).toBe(64);
        expect(error.message).toContain("'.'");
        expect(await sandbox.listMailboxes(ALICE)).not.toContain("a.b");
    });

    it("renames in place, keeping messages and GUID, and moves the subscription", async () => {
        const { id, outs } = await create({ user: ALICE, name: "Old/Name" });
        await sandbox.deliver(ALICE, "Old/Name", 2);
        const news = { user: ALICE, name: "New/Name", subscribed: true, forceDestroy: false, adopt: false };
        const { outs: updated } = await call("update", id, outs, news);
        expect(updated).toMatchObject({ name: "New/Name", guid: id, messages: 2 });
        expect(await sandbox.status(ALICE, "Old/Name")).toBeUndefined();
        expect(await sandbox.status(ALICE, "New/Name")).toEqual({ guid: id, messages: 2 });
        const subscriptions = await sandbox.listSubscriptions(ALICE);
        expect(subscriptions).toContain("New/Name");
        expect(subscriptions).not.toContain("Old/Name");
    });

    it("refuses a rename onto an existing mailbox and leaves both alone", async () => {
        const a = await create({ user: ALICE, name: "RenA" });
        await create({ user: ALICE, name: "RenB" });
        const error = await failure(call("update", a.id, a.outs, { ...a.outs, name: "RenB" }));
        expect(error.code).toBe("DOVEADM_MAILBOX_EXISTS");
        expect(error.message).toContain('"RenB"');
        expect((await sandbox.status(ALICE, "RenA"))?.guid).toBe(a.id);
    });

    it("toggles the subscription without touching the mailbox", async () => {
        const { id, outs } = await create({ user: ALICE, name: "Toggle" });
        const off = await call("update", id, outs, { ...outs, subscribed: false });
        expect(off.outs.subscribed).toBe(false);
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Toggle");
        await call("update", id, off.outs, { ...outs, subscribed: true });
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Toggle");
        expect((await sandbox.status(ALICE, "Toggle"))?.guid).toBe(id);
    });

    describe("read", () => {
        it("reports an unchanged mailbox as it is", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Steady" });
            const read = await call("read", id, outs);
            expect(read.id).toBe(id);
            expect(read.props).toEqual(outs);
            // Nothing changed: no inputs, so the engine keeps the recorded ones (refresh-kept.test.ts).
            expect(read.inputs).toBeUndefined();
        });

        it("finds a mailbox renamed behind Pulumi's back by its GUID", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Before" });
            await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Before", "After"]);
            const read = await call("read", id, outs);
            expect(read.id).toBe(id);
            expect(read.props.name).toBe("After");
            expect(read.inputs.name).toBe("After");
            // The subscription stayed on the old name: reported as not subscribed.
            expect(read.inputs.subscribed).toBe(false);
        });

        it("finds a renamed mailbox even when a non-mailbox parent makes `mailboxStatus *` fail", async () => {
            await sandbox.doveadm(["mailbox", "create", "-u", BOB, "Hollow/Kid", "Hollow"]);
            await sandbox.doveadm(["mailbox", "delete", "-u", BOB, "Hollow"]); // leaves a listed non-mailbox
            const { id, outs } = await create({ user: BOB, name: "Wanderer" });
            await sandbox.doveadm(["mailbox", "rename", "-u", BOB, "Wanderer", "Hollow/Wanderer"]);
            const read = await call("read", id, outs);
            expect(read.id).toBe(id);
            expect(read.props.name).toBe("Hollow/Wanderer");
        });

        it("reports an out-of-band unsubscribe", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Unsub" });
            await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Unsub"]);
            const read = await call("read", id, outs);
            expect(read.props.subscribed).toBe(false);
        });

        it("reports a deleted mailbox as gone", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Doomed" });
            await sandbox.doveadm(["mailbox", "delete", "-u", ALICE, "Doomed"]);
            const read = await call("read", id, outs);
            expect(read.id).toBeUndefined();
        });

        it("reports a mailbox deleted and created again under the same name as gone", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Reborn" });
            await sandbox.doveadm(["mailbox", "delete", "-u", ALICE, "Reborn"]);
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Reborn"]);
            const read = await call("read", id, outs);
            expect(read.id).toBeUndefined();
        });

        it("reports a deleted user clearly instead of forgetting the mailbox", async () => {
            const carol = await sandbox.addUser("carol");
            const { id, outs } = await create({ user: carol.name, name: "Carols" });
            await sandbox.removeUser(carol.name);
            const error = await failure(call("read", id, outs));
            expect(error.code).toBe("DOVEADM_NO_USER");
            expect(error.message).toContain(carol.name);
            expect(error.message).toContain("pulumi state delete");
        });
    });

    describe("delete", () => {
        it("deletes an empty mailbox and its subscription", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Empty" });
            await call("delete", id, outs);
            expect(await sandbox.status(ALICE, "Empty")).toBeUndefined();
            expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Empty");
        });

        it("refuses a non-empty mailbox, says how many messages, and keeps them", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Keep" });
            await sandbox.deliver(ALICE, "Keep", 3);
            const error = await failure(call("delete", id, outs));
            expect(error.code).toBe("DOVEADM_MAILBOX_NOT_EMPTY");
            expect(error.message).toContain("3 messages");
            expect(error.message).toContain("forceDestroy");
            expect(error.message).toContain('"Keep"');
            expect((await sandbox.status(ALICE, "Keep"))?.messages).toBe(3);
        });

        it("deletes a non-empty mailbox with forceDestroy", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Force", forceDestroy: true });
            await sandbox.deliver(ALICE, "Force", 2);
            await call("delete", id, outs);
            expect(await sandbox.status(ALICE, "Force")).toBeUndefined();
        });

        it("deletes a parent without touching its children (never recursive)", async () => {
            const parent = await create({ user: ALICE, name: "Parent" });
            await create({ user: ALICE, name: "Parent/Child" });
            await sandbox.deliver(ALICE, "Parent/Child", 1);
            await call("delete", parent.id, parent.outs);
            expect(await sandbox.status(ALICE, "Parent/Child")).toMatchObject({ messages: 1 });
        });

        it("counts a mailbox already gone as deleted", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Gone" });
            await sandbox.doveadm(["mailbox", "delete", "-u", ALICE, "Gone"]);
            await expect(call("delete", id, outs)).resolves.toBeUndefined();
        });

        it("deletes a mailbox that was renamed behind Pulumi's back, found by GUID", async () => {
            const { id, outs } = await create({ user: ALICE, name: "Moved" });
            await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Moved", "MovedAway"]);
            await call("delete", id, outs);
            expect(await sandbox.status(ALICE, "MovedAway")).toBeUndefined();
        });

        it("never deletes INBOX, even with forceDestroy, and keeps its messages", async () => {
            await sandbox.deliver(BOB, "INBOX", 2);
            const { id, outs } = await create({ user: BOB, name: "INBOX", forceDestroy: true });
            await call("delete", id, outs);
            expect((await sandbox.status(BOB, "INBOX"))?.messages).toBe(2);
        });
    });
});
