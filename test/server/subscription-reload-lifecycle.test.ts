// Subscription and Reload through the handlers' life cycle in-process. Subscriptions are checked with a
// raw IMAP LSUB (they may name a mailbox that does not exist) and with doveadm; reloads are counted in
// the server's own log ("SIGHUP received"), so neither check trusts the provider's read.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { imapStatus, imapView } from "../harness/imap";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { occurrences } from "../harness/pulumi";

jest.setTimeout(120_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

function subscription(name: string, user: string, mailbox: string): Declared {
    return { kind: "subscription", name, args: { user, mailbox } };
}

function reload(triggers: unknown[]): Declared {
    return { kind: "reload", name: "config", args: { triggers } };
}

describe("Subscription and Reload, through the handlers' life cycle", () => {
    let sandbox: Sandbox;
    let stack: LifeCycle;
    const reloads = () => occurrences(sandbox.log(), "SIGHUP received");
    const login = (user: string) => sandbox.users.find((u) => u.name === user)!;
    const subscriptions = [
        subscription("alice-lists", ALICE, "Lists/Dovecot"),
        subscription("bob-team", BOB, "Shared/Team"),
    ];
    const first = [...subscriptions, reload(["sha256:one"])];
    const second = [subscriptions[0]!, subscription("bob-team", BOB, "Shared/Team2"), reload(["sha256:two"])];

    beforeAll(async () => {
        sandbox = await startDovecot();
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Lists/Dovecot"]);
        stack = new LifeCycle({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("up subscribes (even to a mailbox that does not exist) and reloads once", async () => {
        expect(reloads()).toBe(0);
        await applied(stack.up(first));

        expect(await sandbox.listSubscriptions(ALICE)).toEqual(["Lists/Dovecot"]);
        expect(await sandbox.listSubscriptions(BOB)).toEqual(["Shared/Team"]);
        expect((await imapView(sandbox, login(ALICE))).lsub).toEqual(["Lists/Dovecot"]);
        const bob = await imapView(sandbox, login(BOB));
        expect(bob.lsub).toEqual(["Shared/Team"]);
        expect(bob.list).not.toContain("Shared/Team"); // a subscription creates no mailbox
        expect(await imapStatus(sandbox, login(BOB), "Shared/Team")).toBeUndefined();

        expect(reloads()).toBe(1);
        // The server answers again after the reload.
        expect((await imapStatus(sandbox, login(ALICE), "INBOX"))?.messages).toBe(0);
        expect(stack.outputs("config")?.triggers).toEqual(["sha256:one"]);
        expect(typeof stack.outputs("config")?.reloadedAt).toBe("string");
    });

    it("preview and refresh right after up report no changes and reload nothing", async () => {
        expect(await stack.changes(first)).toEqual([]);
        const refreshed = await applied(stack.refresh());
        expect(refreshed.every((s) => s.op === "refresh")).toBe(true);
        expect(await stack.changes(first)).toEqual([]);
        expect(reloads()).toBe(1);
    });

    it("changing triggers reloads; unchanged triggers do not; a changed mailbox replaces the subscription", async () => {
        const before = stack.outputs("config")?.reloadedAt as string;
        expect((await stack.changes(second)).sort()).toEqual(["replace bob-team", "update config"]);
        await applied(stack.up(second));

        expect(reloads()).toBe(2);
        const after = stack.outputs("config");
        expect(after?.triggers).toEqual(["sha256:two"]);
        expect(Date.parse(after?.reloadedAt as string)).toBeGreaterThan(Date.parse(before));
        expect((await imapView(sandbox, login(BOB))).lsub).toEqual(["Shared/Team2"]);
        expect(await sandbox.listSubscriptions(BOB)).toEqual(["Shared/Team2"]);

        await applied(stack.up(second));
        expect(reloads()).toBe(2);
    });

    it("an unsubscription made out of band: refresh drops it, up subscribes again", async () => {
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Lists/Dovecot"]);
        await applied(stack.refresh());
        expect(stack.state.has("alice-lists")).toBe(false);
        expect(await stack.changes(second)).toEqual(["create alice-lists"]);
        await applied(stack.up(second));
        expect((await imapView(sandbox, login(ALICE))).lsub).toEqual(["Lists/Dovecot"]);
        expect(reloads()).toBe(2);
    });

    it("destroy unsubscribes, keeps the mailboxes and does not reload", async () => {
        await applied(stack.destroy());
        expect(await sandbox.listSubscriptions(ALICE)).toEqual([]);
        expect(await sandbox.listSubscriptions(BOB)).toEqual([]);
        expect((await imapView(sandbox, login(ALICE))).lsub).toEqual([]);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Lists/Dovecot"]);
        expect(reloads()).toBe(2);
        expect(stack.state.size).toBe(0);
    });
});
