// Subscription and Reload through the real `pulumi` CLI. Subscriptions are checked with a raw IMAP
// LSUB (they may name a mailbox that does not exist) and with doveadm; reloads are counted in the
// server's own log ("SIGHUP received"), so neither check trusts the provider's read.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { imapStatus, imapView } from "../harness/imap";
import { PulumiProject, ResourceSpec, changedSteps, occurrences } from "../harness/pulumi";

jest.setTimeout(180_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

function subscription(name: string, user: string, mailbox: string): ResourceSpec {
    return { kind: "Subscription", name, args: { user, mailbox } };
}

function reload(triggers: unknown[]): ResourceSpec {
    return { kind: "Reload", name: "config", args: { triggers } };
}

describe("Subscription and Reload through the pulumi CLI", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    const reloads = () => occurrences(sandbox.log(), "SIGHUP received");
    const login = (user: string) => sandbox.users.find((u) => u.name === user)!;
    const subscriptions = [
        subscription("alice-lists", ALICE, "Lists/Dovecot"),
        subscription("bob-team", BOB, "Shared/Team"),
    ];

    beforeAll(async () => {
        sandbox = await startDovecot();
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Lists/Dovecot"]);
        project = await PulumiProject.create({
            server: sandbox,
            name: "subscription-reload-lifecycle",
            resources: [...subscriptions, reload(["sha256:one"])],
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("up subscribes (even to a mailbox that does not exist) and reloads once", async () => {
        expect(reloads()).toBe(0);
        await project.up();

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
        const outputs = await project.outputs();
        expect(outputs.config?.triggers).toEqual(["sha256:one"]);
        expect(typeof outputs.config?.reloadedAt).toBe("string");
    });

    it("preview and refresh right after up report no changes and reload nothing", async () => {
        expect(changedSteps(await project.preview())).toEqual([]);
        expect(Object.keys((await project.previewRefresh()).changeSummary)).toEqual(["same"]);
        await project.refresh();
        expect(changedSteps(await project.preview())).toEqual([]);
        expect(reloads()).toBe(1);
    });

    it("changing triggers reloads; unchanged triggers do not; a changed mailbox replaces the subscription", async () => {
        const before = (await project.outputs()).config?.reloadedAt as string;
        project.setResources([
            subscriptions[0]!,
            subscription("bob-team", BOB, "Shared/Team2"),
            reload(["sha256:two"]),
        ]);
        const preview = await project.preview();
        expect(changedSteps(preview).sort()).toEqual(["replace bob-team", "update config"]);
        await project.up();

        expect(reloads()).toBe(2);
        const after = (await project.outputs()).config;
        expect(after?.triggers).toEqual(["sha256:two"]);
        expect(Date.parse(after?.reloadedAt as string)).toBeGreaterThan(Date.parse(before));
        expect((await imapView(sandbox, login(BOB))).lsub).toEqual(["Shared/Team2"]);
        expect(await sandbox.listSubscriptions(BOB)).toEqual(["Shared/Team2"]);

        await project.up();
        expect(reloads()).toBe(2);
    });

    it("an unsubscription made out of band: refresh drops it, up subscribes again", async () => {
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Lists/Dovecot"]);
        await project.refresh();
        expect(await project.stateResource("alice-lists")).toBeUndefined();
        expect(changedSteps(await project.preview())).toEqual(["create alice-lists"]);
        await project.up();
        expect((await imapView(sandbox, login(ALICE))).lsub).toEqual(["Lists/Dovecot"]);
        expect(reloads()).toBe(2);
    });

    it("destroy unsubscribes, keeps the mailboxes and does not reload", async () => {
        await project.destroy();
        expect(await sandbox.listSubscriptions(ALICE)).toEqual([]);
        expect(await sandbox.listSubscriptions(BOB)).toEqual([]);
        expect((await imapView(sandbox, login(ALICE))).lsub).toEqual([]);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Lists/Dovecot"]);
        expect(reloads()).toBe(2);
        expect(await project.stateResources()).toEqual([]);
    });
});
