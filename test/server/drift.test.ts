// Drift made out of band with doveadm, and adopting an existing mailbox, through the Mailbox handler's
// whole life cycle in-process (test/harness/lifecycle.ts): deleted → refresh drops it, up recreates
// it; renamed → refresh sees the new name, up renames it back (same GUID, same messages); unsubscribed
// → refresh sees it, up re-subscribes. The server is read with doveadm and over IMAP. (The drift check
// of a pipeline, `pulumi preview --refresh --expect-no-changes`, runs through the CLI in
// test/release/example-ci.test.ts.)
import { imapStatus, imapView } from "../harness/imap";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { dovecotForSuite } from "../harness/suite";
import { ALICE } from "../harness/accounts";

jest.setTimeout(120_000);

function mailbox(name: string, mailboxName: string, extra: Record<string, unknown> = {}): Declared {
    return { kind: "mailbox", name, args: { user: ALICE, name: mailboxName, ...extra } };
}

describe("drift and adoption, through the handlers' life cycle", () => {
    const sandbox = dovecotForSuite({ users: ["alice"] });
    let stack: LifeCycle;
    let legacyGuid: string | undefined;
    const alice = () => sandbox.users[0]!;
    const drift = [
        mailbox("gone", "Drift/Gone"),
        mailbox("moved", "Drift/Moved"),
        mailbox("unsub", "Drift/Unsub"),
    ];

    beforeAll(async () => {
        // A mailbox that exists before Pulumi knows about it, with mail in it.
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Legacy"]);
        await sandbox.deliver(ALICE, "Legacy", 2);
        legacyGuid = (await sandbox.status(ALICE, "Legacy"))?.guid;
        stack = new LifeCycle({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });

    it("refuses to take over an existing mailbox without adopt, with a clear message, and records what it made", async () => {
        const result = await stack.up([...drift, mailbox("legacy", "Legacy")]);
        expect(result.error?.message).toContain("the mailbox already exists");
        expect(result.error?.message).toContain("Set adopt: true on this Mailbox");
        // The existing mailbox keeps its mail (and, on 2.3, its GUID: a refused create carrying a GUID
        // would write it into the existing mailbox, so the provider looks first).
        expect(await sandbox.status(ALICE, "Legacy")).toEqual({ guid: legacyGuid, messages: 2 });
        expect(stack.state.has("legacy")).toBe(false);
        for (const declared of drift) {
            const onServer = await sandbox.status(ALICE, declared.args.name as string);
            expect({ name: declared.name, recorded: stack.state.get(declared.name)?.id }).toEqual({
                name: declared.name,
                recorded: onServer?.guid,
            });
        }
    });

    it("adopt: true takes over an existing mailbox with its mail", async () => {
        await applied(stack.up([...drift, mailbox("legacy", "Legacy", { adopt: true })]));
        expect(stack.state.get("legacy")?.id).toBe(legacyGuid);
        expect(stack.outputs("legacy")).toMatchObject({ guid: legacyGuid, messages: 2, name: "Legacy" });
        expect(await sandbox.status(ALICE, "Legacy")).toEqual({ guid: legacyGuid, messages: 2 });
        expect((await imapStatus(sandbox, alice(), "Legacy"))?.messages).toBe(2);
        expect((await imapView(sandbox, alice())).lsub).toContain("Legacy");
        expect(await stack.changes([...drift, mailbox("legacy", "Legacy", { adopt: true })])).toEqual([]);
    });

    it("refresh sees a deleted, a renamed and an unsubscribed mailbox; up puts them back", async () => {
        const program = [...drift, mailbox("legacy", "Legacy", { adopt: true })];
        const gone = await sandbox.status(ALICE, "Drift/Gone");
        await sandbox.deliver(ALICE, "Drift/Moved", 2);
        const moved = await sandbox.status(ALICE, "Drift/Moved");
        expect(moved?.messages).toBe(2);

        await sandbox.doveadm(["mailbox", "delete", "-u", ALICE, "Drift/Gone"]);
        await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Drift/Moved", "Drift/Elsewhere"]);
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Drift/Unsub"]);

        const refreshed = await applied(stack.refresh());
        expect(refreshed.filter((s) => s.op === "forget").map((s) => s.name)).toEqual(["gone"]);
        expect(stack.state.has("gone")).toBe(false);
        expect(stack.outputs("moved")).toMatchObject({ name: "Drift/Elsewhere", guid: moved?.guid });
        expect(stack.outputs("unsub")).toMatchObject({ subscribed: false });

        expect((await stack.changes(program)).sort()).toEqual([
            "create gone",
            "update moved",
            "update unsub",
        ]);
        await applied(stack.up(program));

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
        expect(await stack.changes(program)).toEqual([]);
    });

    it("refresh then up re-subscribes a mailbox unsubscribed out of band", async () => {
        const program = [...drift, mailbox("legacy", "Legacy", { adopt: true })];
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Drift/Unsub"]);
        expect((await imapView(sandbox, alice())).lsub).not.toContain("Drift/Unsub");
        await applied(stack.refresh());
        await applied(stack.up(program));
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Drift/Unsub");
        expect((await imapView(sandbox, alice())).lsub).toContain("Drift/Unsub");
    });
});
