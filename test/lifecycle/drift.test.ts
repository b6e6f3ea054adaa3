// Drift made out of band with doveadm, and adopting an existing mailbox, through the real `pulumi` CLI.
// Deleted → refresh drops it, up recreates it; renamed → refresh sees the new name, up renames it back
// (same GUID, same messages); unsubscribed → up re-subscribes.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { imapStatus, imapView } from "../harness/imap";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(180_000);

const ALICE = "alice@example.org";

function mailbox(name: string, mailboxName: string, extra: Record<string, unknown> = {}): ResourceSpec {
    return { kind: "Mailbox", name, args: { user: ALICE, name: mailboxName, ...extra } };
}

describe("drift and adoption through the pulumi CLI", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    let legacyGuid: string | undefined;
    const alice = () => sandbox.users[0]!;
    const drift = [
        mailbox("gone", "Drift/Gone"),
        mailbox("moved", "Drift/Moved"),
        mailbox("unsub", "Drift/Unsub"),
    ];

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        // A mailbox that exists before Pulumi knows about it, with mail in it.
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Legacy"]);
        await sandbox.deliver(ALICE, "Legacy", 2);
        legacyGuid = (await sandbox.status(ALICE, "Legacy"))?.guid;
        project = await PulumiProject.create({
            server: sandbox,
            name: "drift-lifecycle",
            resources: [...drift, mailbox("legacy", "Legacy")],
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("refuses to take over an existing mailbox without adopt, with a clear message", async () => {
        const result = await project.up({ allowFailure: true });
        expect(result.code).not.toBe(0);
        expect(result.output).toContain("the mailbox already exists");
        expect(result.output).toContain("Set adopt: true on this Mailbox");
        // The existing mailbox keeps its mail. The engine stops starting new steps after an error, so
        // which other mailboxes were made depends on timing; but each one that exists is in the
        // state under its GUID, and nothing in the state is missing from the server.
        expect((await sandbox.status(ALICE, "Legacy"))?.messages).toBe(2);
        expect(await project.stateResource("legacy")).toBeUndefined();
        const state = await project.stateResources();
        for (const name of ["Drift/Gone", "Drift/Moved", "Drift/Unsub"]) {
            const onServer = await sandbox.status(ALICE, name);
            const recorded = state.find((r) => r.outputs?.name === name);
            expect({ name, recorded: recorded?.id }).toEqual({ name, recorded: onServer?.guid });
        }
    });

    // Dovecot 2.3 (maildir) answers exit 65 "already exists" to a create with a GUID but writes the new
    // GUID into the existing mailbox anyway, so the provider must look before it creates.
    it("a refused create leaves the existing mailbox's GUID alone", async () => {
        expect((await sandbox.status(ALICE, "Legacy"))?.guid).toBe(legacyGuid);
    });

    it("adopt: true takes over an existing mailbox with its mail", async () => {
        legacyGuid = (await sandbox.status(ALICE, "Legacy"))?.guid;
        project.setResources([...drift, mailbox("legacy", "Legacy", { adopt: true })]);
        await project.up();

        const state = await project.stateResource("legacy");
        expect(state?.id).toBe(legacyGuid);
        expect(state?.outputs).toMatchObject({ guid: legacyGuid, messages: 2, name: "Legacy" });
        expect(await sandbox.status(ALICE, "Legacy")).toEqual({ guid: legacyGuid, messages: 2 });
        expect((await imapStatus(sandbox, alice(), "Legacy"))?.messages).toBe(2);
        expect((await imapView(sandbox, alice())).lsub).toContain("Legacy");
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("refresh sees a deleted, a renamed and an unsubscribed mailbox; up puts them back", async () => {
        const gone = await sandbox.status(ALICE, "Drift/Gone");
        await sandbox.deliver(ALICE, "Drift/Moved", 2);
        const moved = await sandbox.status(ALICE, "Drift/Moved");
        expect(moved?.messages).toBe(2);

        await sandbox.doveadm(["mailbox", "delete", "-u", ALICE, "Drift/Gone"]);
        await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Drift/Moved", "Drift/Elsewhere"]);
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Drift/Unsub"]);

        const refreshPreview = await project.previewRefresh();
        expect(refreshPreview.changeSummary).toMatchObject({ delete: 1, update: 2 });
        await project.refresh();

        expect(await project.stateResource("gone")).toBeUndefined();
        expect((await project.stateResource("moved"))?.outputs).toMatchObject({
            name: "Drift/Elsewhere",
            guid: moved?.guid,
        });
        expect((await project.stateResource("unsub"))?.outputs).toMatchObject({ subscribed: false });
        expect(changedSteps(await project.previewRefresh())).toEqual([]);

        const preview = await project.preview();
        expect(changedSteps(preview).sort()).toEqual(["create gone", "update moved", "update unsub"]);
        await project.up();

        const recreated = await sandbox.status(ALICE, "Drift/Gone");
        expect(recreated).toBeDefined();
        expect(recreated?.guid).not.toBe(gone?.guid);
        expect(await sandbox.status(ALICE, "Drift/Elsewhere")).toBeUndefined();
        expect(await sandbox.status(ALICE, "Drift/Moved")).toEqual({ guid: moved?.guid, messages: 2 });
        const view = await imapView(sandbox, alice());
        expect(view.list).toEqual(expect.arrayContaining(["Drift/Gone", "Drift/Moved", "Drift/Unsub"]));
        expect(view.list).not.toContain("Drift/Elsewhere");
        expect(view.lsub).toEqual(expect.arrayContaining(["Drift/Gone", "Drift/Moved", "Drift/Unsub"]));
        expect(view.lsub).not.toContain("Drift/Elsewhere");
        expect((await imapStatus(sandbox, alice(), "Drift/Moved"))?.messages).toBe(2);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("up --refresh re-subscribes a mailbox unsubscribed out of band", async () => {
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Drift/Unsub"]);
        expect((await imapView(sandbox, alice())).lsub).not.toContain("Drift/Unsub");
        await project.up({ refresh: true });
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Drift/Unsub");
        expect((await imapView(sandbox, alice())).lsub).toContain("Drift/Unsub");
    });
});
