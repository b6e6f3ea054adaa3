// Destroy, credentials and a wrong API key through the real `pulumi` CLI: a mailbox holding mail is
// refused (and keeps its mail), forceDestroy deletes it, INBOX is never touched; no credential reaches
// the stack state; a wrong key fails fast with one clear message and changes nothing.
import { readFileSync } from "node:fs";
import { imapStatus, imapView } from "../harness/imap";
import { changedSteps, filesUnder, readProjectFile, ResourceSpec } from "../harness/pulumi";
import { dovecotForSuite, projectForSuite } from "../harness/suite";
import { ALICE } from "../harness/accounts";

jest.setTimeout(180_000);

function mailbox(name: string, mailboxName: string, extra: Record<string, unknown> = {}): ResourceSpec {
    return { kind: "Mailbox", name, args: { user: ALICE, name: mailboxName, ...extra } };
}

describe("destroy, credentials and a wrong key through the pulumi CLI", () => {
    const sandbox = dovecotForSuite({ users: ["alice"] });
    const alice = () => sandbox.users[0]!;
    const resources = [
        mailbox("keep", "Keep"),
        mailbox("scratch", "Scratch", { forceDestroy: true }),
        mailbox("inbox", "INBOX"),
        { kind: "Subscription", name: "shared", args: { user: ALICE, mailbox: "Shared/Team" } },
        { kind: "Reload", name: "reload", args: { triggers: ["one"] } },
    ] satisfies ResourceSpec[];

    const project = projectForSuite(sandbox, "destroy-lifecycle", { resources });

    beforeAll(async () => {
        await sandbox.deliver(ALICE, "INBOX", 1);
        await project.up();
        await sandbox.deliver(ALICE, "Keep", 2);
        await sandbox.deliver(ALICE, "Scratch", 2);
    });

    it("keeps every credential out of the stack state", async () => {
        const secrets = [
            sandbox.apiKey,
            sandbox.password,
            Buffer.from(sandbox.apiKey).toString("base64"),
            Buffer.from(`doveadm:${sandbox.password}`).toString("base64"),
        ];
        const exported = await project.exportText();
        expect(exported).toContain("dovecot:Mailbox"); // the export is the real state
        for (const secret of secrets) expect(exported).not.toContain(secret);
        expect(exported).not.toContain("X-Dovecot-API");
        // Nor in any file of the backend (state, history, backups), nor in the stack's config file.
        const files = filesUnder(project.stateDir);
        expect(files.length).toBeGreaterThan(0);
        for (const file of files) {
            const text = readFileSync(file, "utf8");
            for (const secret of secrets) expect(text).not.toContain(secret);
        }
        const config = readProjectFile(project, `Pulumi.${project.stack}.yaml`);
        expect(config).toContain("secure:");
        expect(config).not.toContain(sandbox.apiKey);
    });

    it("a wrong API key fails fast with one clear message and changes nothing", async () => {
        const wrongKey = "wrong-key-4c9f1e7a2b";
        await project.setConfig("dovecot:apiKey", wrongKey, { secret: true });
        project.setResources([
            ...resources.map((r) =>
                r.name === "scratch"
                    ? mailbox("scratch", "Scratch", { forceDestroy: true, subscribed: false })
                    : r,
            ),
            mailbox("extra", "Extra"),
        ]);
        const before = {
            mailboxes: await sandbox.listMailboxes(ALICE),
            subscriptions: await sandbox.listSubscriptions(ALICE),
        };

        const result = await project.up({ allowFailure: true });
        expect(result.code).not.toBe(0);
        expect(result.timedOut).toBe(false);
        expect(result.durationMs).toBeLessThan(30_000);
        expect(result.output).toContain("rejected the credentials (HTTP 401)");
        expect(result.output).toContain("dovecot:apiKey");
        expect(result.output).not.toContain(wrongKey);
        // One message: every resource reports the same reason, and no stack trace is shown.
        const reasons = new Set(
            [...result.output.matchAll(/failed: (the server at \S+ rejected the credentials[^\n]*)/g)].map(
                (m) => m[1],
            ),
        );
        expect([...reasons]).toHaveLength(1);
        expect(result.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

        expect(await sandbox.listMailboxes(ALICE)).toEqual(before.mailboxes);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual(before.subscriptions);

        await project.setConfig("dovecot:apiKey", sandbox.apiKey, { secret: true });
        project.setResources(resources);
        expect(changedSteps(await project.preview())).toEqual([]);
        // destroy and refresh use the provider configuration recorded in the state, which the failed
        // run wrote with the wrong key: an up with the right key records it again.
        await project.up();
        expect(JSON.stringify(await project.stateResources())).not.toContain(wrongKey);
    });

    it("destroy refuses a mailbox holding mail and keeps it; forceDestroy deletes; INBOX is untouched", async () => {
        const keep = await sandbox.status(ALICE, "Keep");
        expect(keep?.messages).toBe(2);

        const refused = await project.destroy({ allowFailure: true });
        expect(refused.code).not.toBe(0);
        expect(refused.output).toContain(
            'mailboxDelete for user "alice@example.org" on mailbox "Keep" failed',
        );
        expect(refused.output).toContain("the mailbox holds 2 messages; nothing was deleted");
        expect(refused.output).toContain("forceDestroy: true");
        expect(await sandbox.status(ALICE, "Keep")).toEqual(keep);
        expect((await imapStatus(sandbox, alice(), "Keep"))?.messages).toBe(2);
        expect(await project.stateResource("keep")).toBeDefined();

        project.setResources(
            resources.map((r) => (r.name === "keep" ? mailbox("keep", "Keep", { forceDestroy: true }) : r)),
        );
        await project.up();
        await project.destroy();

        expect(await sandbox.status(ALICE, "Keep")).toBeUndefined();
        expect(await sandbox.status(ALICE, "Scratch")).toBeUndefined();
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Shared/Team");
        expect((await sandbox.status(ALICE, "INBOX"))?.messages).toBe(1);
        expect((await imapStatus(sandbox, alice(), "INBOX"))?.messages).toBe(1);
        expect((await imapView(sandbox, alice())).list).toEqual(["INBOX"]);
        expect(await project.stateResources()).toEqual([]);
    });
});
