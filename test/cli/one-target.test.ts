// Two resources of one program that declare the same thing on the server (a folder, a subscription,
// a Sieve script, an ACL entry, a METADATA entry) are refused in `pulumi preview`, before anything is
// sent, with an error that names both resources; so is `pulumi up`. Without the refusal both were
// applied, the server kept one (which one varied), and every drift check failed after. Checked
// through the real CLI, with the server's state read by doveadm.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "x" { fileinto "INBOX"; }\n';

/** Two resources with one target, and the words the refusal must hold. */
const cases: Array<[string, ResourceSpec[], RegExp]> = [
    [
        "two SieveScripts of one user and name",
        [
            {
                kind: "SieveScript",
                name: "rules-1",
                args: { user: ALICE, name: "rules", script: SCRIPT, active: false },
            },
            {
                kind: "SieveScript",
                name: "rules-2",
                args: { user: ALICE, name: "rules", script: `${SCRIPT}\n`, active: false },
            },
        ],
        /the Sieve script "rules" of user/,
    ],
    [
        "two active SieveScripts of one user",
        [
            { kind: "SieveScript", name: "on-1", args: { user: ALICE, name: "one", script: SCRIPT } },
            { kind: "SieveScript", name: "on-2", args: { user: ALICE, name: "two", script: SCRIPT } },
        ],
        /the active Sieve script of user/,
    ],
    [
        "two MailboxAcls of one mailbox and identifier",
        [
            {
                kind: "MailboxAcl",
                name: "acl-1",
                args: {
                    user: ALICE,
                    mailbox: "INBOX",
                    identifier: "user=bob@example.org",
                    rights: ["lookup"],
                },
            },
            {
                kind: "MailboxAcl",
                name: "acl-2",
                args: {
                    user: ALICE,
                    mailbox: "INBOX",
                    identifier: "user=bob@example.org",
                    rights: ["lookup", "read"],
                },
            },
        ],
        /the ACL entry of "user=bob@example.org" on the folder "INBOX"/,
    ],
    [
        "two MailboxMetadata of one mailbox and key (the user in another letter case)",
        [
            {
                kind: "MailboxMetadata",
                name: "meta-1",
                args: { user: ALICE, mailbox: "INBOX", key: "/private/comment", value: "one" },
            },
            {
                kind: "MailboxMetadata",
                name: "meta-2",
                args: { user: "Alice@Example.org", mailbox: "INBOX", key: "/private/comment", value: "two" },
            },
        ],
        /the METADATA entry "\/private\/comment" of the folder "INBOX"/,
    ],
    [
        "two Subscriptions of one mailbox",
        [
            { kind: "Subscription", name: "sub-1", args: { user: ALICE, mailbox: "Shared/Team" } },
            { kind: "Subscription", name: "sub-2", args: { user: ALICE, mailbox: "Shared/Team" } },
        ],
        /the subscription of user "alice@example.org" to "Shared\/Team"/,
    ],
    [
        "two Mailboxes of one folder",
        [
            { kind: "Mailbox", name: "box-1", args: { user: ALICE, name: "Twice" } },
            { kind: "Mailbox", name: "box-2", args: { user: ALICE, name: "Twice", subscribed: false } },
        ],
        /the folder "Twice" of user/,
    ],
    [
        "a Mailbox and a FolderSet with one folder",
        [
            { kind: "Mailbox", name: "box", args: { user: ALICE, name: "Both" } },
            {
                kind: "FolderSet",
                name: "set",
                args: { user: ALICE, folders: [{ name: "Other" }, { name: "Both" }] },
            },
        ],
        /the folder "Both" of user/,
    ],
    [
        "a Subscription of a Mailbox's folder",
        [
            { kind: "Mailbox", name: "box", args: { user: ALICE, name: "Subbed" } },
            { kind: "Subscription", name: "sub", args: { user: ALICE, mailbox: "Subbed" } },
        ],
        /the subscription of user "alice@example.org" to "Subbed"[\s\S]*manages the folder's subscription itself/,
    ],
];

describe("two resources of one program with one target", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    /** What the server holds of alice's that any case could have changed, read with doveadm. */
    const serverState = async () => ({
        folders: await sandbox.listMailboxes(ALICE),
        subscriptions: await sandbox.listSubscriptions(ALICE),
        sieve: (await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim(),
        acl: (await sandbox.doveadm(["acl", "get", "-u", ALICE, "INBOX"])).trim(),
        comment: (
            await sandbox.doveadm(["mailbox", "metadata", "get", "-u", ALICE, "INBOX", "/private/comment"])
        ).trim(),
    });

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"], plugins: true });
        project = await PulumiProject.create({ server: sandbox, name: "one-target" });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it.each(cases)(
        "%s: preview and up are refused, naming both, and nothing is sent",
        async (_title, specs, what) => {
            const before = await serverState();
            project.setResources(specs);
            const [first, second] = specs.map((s) => s.name) as [string, string];
            const preview = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
                allowFailure: true,
            });
            expect(preview.code).not.toBe(0);
            expect(preview.output).toMatch(what);
            // Both resources are named: the engine names the refused one, the message the other.
            expect(preview.output).toContain(`"${first}"`);
            expect(preview.output).toContain(`"${second}"`);
            expect(preview.output).toMatch(/one resource only may manage it/);
            expect(await serverState()).toEqual(before);
            const up = await project.up({ allowFailure: true });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(what);
            // Clean up whatever the up applied before the refusal.
            project.setResources([]);
            await project.up();
            expect(await serverState()).toEqual(before);
        },
    );

    it("up without a preview: the first resource, applied before the second is checked, fails on its own; pulumi up with its preview names both", async () => {
        // Someone else's script "theirs"; rules-2 depends on rules-1, so the engine registers rules-2
        // only after rules-1's create has run. Without a preview (--skip-preview), rules-1 is checked
        // and created first, its create refuses a script it did not store, and the engine stops before
        // checking rules-2: the error is rules-1's own, and nothing is sent for rules-2. A preview
        // (pulumi preview, and pulumi up without --skip-preview) applies nothing, so it checks both.
        await sandbox.doveadm(["sieve", "put", "-u", ALICE, "theirs"], "keep;\n");
        const before = await serverState();
        const specs: ResourceSpec[] = [
            {
                kind: "SieveScript",
                name: "rules-1",
                args: { user: ALICE, name: "theirs", script: SCRIPT, active: false },
            },
            {
                kind: "SieveScript",
                name: "rules-2",
                args: { user: ALICE, name: "theirs", script: `${SCRIPT}\n`, active: false },
                dependsOn: ["rules-1"],
            },
        ];
        project.setResources(specs);
        try {
            const up = await project.up({ allowFailure: true });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(
                /dovecot:SieveScript \(rules-1\):\s+error: [^\n]*Sieve script "theirs"[^\n]*which this program did not store\. Set adopt: true/,
            );
            expect(up.output).not.toMatch(/one resource only may manage it/);
            expect(await serverState()).toEqual(before);
            expect(await project.stateResources()).not.toContainEqual(
                expect.objectContaining({ urn: expect.stringMatching(/::rules-[12]$/) }),
            );
            const withPreview = await project.pulumi(
                ["up", "--yes", "--non-interactive", "--stack", project.stack],
                { allowFailure: true },
            );
            expect(withPreview.code).not.toBe(0);
            expect(withPreview.output).toMatch(
                /the SieveScript "rules-2" declares the Sieve script "theirs" of user "alice@example.org", which the SieveScript "rules-1" of this program declares too/,
            );
            expect(await serverState()).toEqual(before);
        } finally {
            project.setResources([]);
            await project.up();
            await sandbox.doveadm(["sieve", "delete", "-u", ALICE, "theirs"]);
        }
    });

    it("the same resources with distinct targets pass, and a second run of one program refuses nothing", async () => {
        const specs: ResourceSpec[] = [
            { kind: "Mailbox", name: "box", args: { user: ALICE, name: "Mine" } },
            { kind: "FolderSet", name: "set", args: { user: ALICE, folders: [{ name: "Yours" }] } },
            { kind: "Subscription", name: "sub", args: { user: ALICE, mailbox: "Shared/Team" } },
            { kind: "SieveScript", name: "on", args: { user: ALICE, name: "one", script: SCRIPT } },
            {
                kind: "SieveScript",
                name: "off",
                args: { user: ALICE, name: "two", script: SCRIPT, active: false },
            },
            {
                kind: "MailboxAcl",
                name: "acl",
                args: {
                    user: ALICE,
                    mailbox: "INBOX",
                    identifier: "user=bob@example.org",
                    rights: ["lookup"],
                },
            },
            {
                kind: "MailboxMetadata",
                name: "meta",
                args: { user: ALICE, mailbox: "INBOX", key: "/private/comment", value: "one" },
            },
        ];
        project.setResources(specs);
        expect((await project.up()).code).toBe(0);
        const again = await project.pulumi([
            "preview",
            "--expect-no-changes",
            "--non-interactive",
            "--stack",
            project.stack,
        ]);
        expect(again.code).toBe(0);
        expect((await project.up()).code).toBe(0);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX", "Mine", "Yours"]);
        project.setResources([]);
        await project.up();
    });
});
