// Children of INBOX spelled in another letter case (`Inbox/Receipts`, `inbox/x`) are stored by Dovecot
// as `INBOX/...`: every resource kind takes them in that form, so create, read, refresh and destroy
// all find the folder, and nothing is left behind or reported as drift.
import { DoveadmClient } from "../../provider/client/client";
import { resolveSettings } from "../../provider/settings";
import { call, checkAndCreate, configureFor } from "../harness/providers";
import { dovecotForSuite } from "../harness/suite";

const ALICE = "alice@example.org";

describe("INBOX children in another letter case", () => {
    const sandbox = dovecotForSuite();

    beforeAll(() => configureFor(sandbox));

    it("a Mailbox named Inbox/Receipts is created, read, renamed and deleted as INBOX/Receipts", async () => {
        const { id, outs } = await checkAndCreate("mailbox", { user: ALICE, name: "Inbox/Receipts" });
        expect(outs.name).toBe("INBOX/Receipts");
        expect(await sandbox.status(ALICE, "INBOX/Receipts")).toMatchObject({ guid: id });
        expect(await sandbox.listSubscriptions(ALICE)).toContain("INBOX/Receipts");

        const read = await call("mailbox", "read", id, outs);
        expect(read.props).toMatchObject({ name: "INBOX/Receipts", guid: id, subscribed: true });
        // The program still says Inbox/Receipts: check() spells it INBOX/Receipts, so no change.
        const { inputs } = await call("mailbox", "check", outs, { user: ALICE, name: "Inbox/Receipts" });
        expect((await call("mailbox", "diff", id, read.props, inputs)).changes).toBe(false);

        const renamed = await call("mailbox", "check", outs, { user: ALICE, name: "inbox/Paid" });
        const { outs: moved } = await call("mailbox", "update", id, read.props, renamed.inputs);
        expect(moved.name).toBe("INBOX/Paid");
        expect(await sandbox.status(ALICE, "INBOX/Paid")).toMatchObject({ guid: id });

        await call("mailbox", "delete", id, moved);
        expect(await sandbox.status(ALICE, "INBOX/Paid")).toBeUndefined();
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("INBOX/Paid");
    });

    it("adopt takes over an existing inbox/x without rewriting its GUID", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "INBOX/Old"]);
        await sandbox.deliver(ALICE, "INBOX/Old", 2);
        const before = await sandbox.status(ALICE, "INBOX/Old");
        const { id, outs } = await checkAndCreate("mailbox", { user: ALICE, name: "inbox/Old", adopt: true });
        expect(id).toBe(before?.guid);
        expect(outs).toMatchObject({ name: "INBOX/Old", messages: 2 });
        expect(await sandbox.status(ALICE, "INBOX/Old")).toEqual(before);
    });

    it("without adopt, an existing Inbox/y is refused as someone else's, and left as it was", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "INBOX/Theirs"]);
        const before = await sandbox.status(ALICE, "INBOX/Theirs");
        await expect(checkAndCreate("mailbox", { user: ALICE, name: "Inbox/Theirs" })).rejects.toMatchObject({
            code: "DOVEADM_MAILBOX_EXISTS",
            message: expect.stringMatching(/adopt: true/),
        });
        expect(await sandbox.status(ALICE, "INBOX/Theirs")).toEqual(before);
    });

    it("a FolderSet lists Inbox/x among its mailboxes and deletes it on destroy", async () => {
        const { id, outs } = await checkAndCreate("folders", {
            user: ALICE,
            folders: [{ name: "Inbox/Set" }, { name: "Plain" }],
        });
        expect(outs.mailboxes.map((m: { name: string }) => m.name).sort()).toEqual(["INBOX/Set", "Plain"]);
        expect(await sandbox.status(ALICE, "INBOX/Set")).toBeDefined();
        const read = await call("folders", "read", id, outs);
        const { inputs } = await call("folders", "check", outs, {
            user: ALICE,
            folders: [{ name: "Inbox/Set" }, { name: "Plain" }],
        });
        expect((await call("folders", "diff", id, read.props, inputs)).changes).toBe(false);
        await call("folders", "delete", id, read.props);
        expect(await sandbox.status(ALICE, "INBOX/Set")).toBeUndefined();
        expect(await sandbox.status(ALICE, "Plain")).toBeUndefined();
    });

    it("finds the INBOX of a user whose mail folder was never opened, asked for together with other names", async () => {
        const fresh = (await sandbox.addUser("fresh")).name;
        const client = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: sandbox.endpoint,
                DOVEADM_API_KEY: sandbox.apiKey,
            }),
        );
        // Three lookups of one user in the same tick go out as one mailboxStatus of three names.
        const [inbox, other, inboxAgain] = await Promise.all([
            client.findStatus(fresh, "INBOX"),
            client.findStatus(fresh, "Nothing"),
            client.findStatus(fresh, "INBOX"),
        ]);
        expect(inbox?.guid).toMatch(/^[0-9a-f]{32}$/);
        expect(inboxAgain?.guid).toBe(inbox?.guid);
        expect(other).toBeUndefined();
        expect((await sandbox.status(fresh, "INBOX"))?.guid).toBe(inbox?.guid);
        // And a Mailbox resource for that INBOX takes it over (nothing is created).
        const { id } = await checkAndCreate("mailbox", {
            user: (await sandbox.addUser("fresher")).name,
            name: "INBOX",
        });
        expect(id).toMatch(/^[0-9a-f]{32}$/);
    });

    it("a Subscription to inbox/z reads back as subscribed (no drift on every refresh)", async () => {
        const { id, outs } = await checkAndCreate("subscription", { user: ALICE, mailbox: "inbox/Sub" });
        expect(outs.mailbox).toBe("INBOX/Sub");
        expect(await sandbox.listSubscriptions(ALICE)).toContain("INBOX/Sub");
        expect((await call("subscription", "read", id, outs)).id).toBe(id);
        await call("subscription", "delete", id, outs);
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("INBOX/Sub");
    });
});
