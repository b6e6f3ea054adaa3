// A FolderSet whose creates went out while the server was going away: the record it leaves lets the
// next `up` take over the folders it made, instead of refusing them as "already exists" (orphans).
import { configureFor, providerOf } from "../harness/providers";
import { dovecotForSuite, proxyForSuite } from "../harness/suite";

/** Provider results are checked field by field, so they are left untyped here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const USER = "alice@example.org";
const call = providerOf("folders");

describe("FolderSet interrupted while creating", () => {
    const sandbox = dovecotForSuite();
    const proxy = proxyForSuite(sandbox);

    beforeAll(async () => {
        // Open the user's INBOX once, as any login would: a user whose mail folder was never opened
        // lists no mailbox at all until then, which costs the first snapshot two more reads.
        await sandbox.doveadm(["mailbox", "status", "-u", USER, "messages", "INBOX"]);
        await configureFor(
            { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            { "dovecot:timeoutMs": "2000" },
        );
    });

    it("records unconfirmed creates and takes those folders over on the next apply", async () => {
        const inputs = (
            await call("check", {}, { user: USER, folders: [{ name: "Cut/One" }, { name: "Cut/Two" }] })
        ).inputs;
        // The create reaches the server but its answer is lost, and from then on no read gets through.
        proxy.setRules([
            { command: "mailboxCreate", action: { kind: "close-after" }, times: 1 },
            { command: "mailboxStatus", action: { kind: "close-before" }, skip: 2 },
        ]);
        let failure: Loose;
        try {
            await call("create", inputs);
        } catch (error) {
            failure = error;
        }
        expect(failure?.name).toBe("PartialFailureError");
        expect(failure.properties.unconfirmed).toEqual(["Cut/One", "Cut/Two"]);
        // The server really has them: the write went through.
        expect(await sandbox.status(USER, "Cut/One")).toBeDefined();
        expect(await sandbox.status(USER, "Cut/Two")).toBeDefined();

        proxy.setRules([]);
        const props = failure.properties;
        expect((await call("diff", failure.id, props, inputs)).changes).toBe(true);
        const { outs } = await call("update", failure.id, props, inputs);
        expect(outs.unconfirmed).toBeUndefined();
        const names = outs.mailboxes.map((m: { name: string }) => m.name).sort();
        expect(names).toEqual(["Cut/One", "Cut/Two"]);
        for (const m of outs.mailboxes) expect((await sandbox.status(USER, m.name))?.guid).toBe(m.guid);
        expect(await sandbox.listSubscriptions(USER)).toEqual(expect.arrayContaining(["Cut/One", "Cut/Two"]));
        expect((await call("diff", failure.id, outs, inputs)).changes).toBe(false);
    }, 120_000);

    it("deletes unconfirmed folders on destroy too", async () => {
        await sandbox.doveadm(["mailbox", "create", "-u", USER, "Maybe"]);
        const props = {
            user: USER,
            folders: [{ name: "Maybe", subscribed: true }],
            forceDestroy: false,
            adopt: false,
            mailboxes: [],
            unconfirmed: ["Maybe"],
        };
        await call("delete", "x", props);
        expect(await sandbox.status(USER, "Maybe")).toBeUndefined();
    });
});
