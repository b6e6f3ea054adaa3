// One target, one resource, where the engine's part matters: `pulumi up --skip-preview` applies each
// resource as soon as it has checked it, and `pulumi up` with its preview names both; a second run of
// one program refuses nothing. Checked through the real CLI, the server read by doveadm. (Each kind of
// duplicate target is refused in check(): test/server/one-target.test.ts; across provider processes:
// test/cli/one-target-processes.test.ts.)
import { ResourceSpec } from "../harness/pulumi";
import { dovecotForSuite, projectForSuite } from "../harness/suite";
import { ALICE, accountState } from "../harness/accounts";

jest.setTimeout(300_000);

const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "x" { fileinto "INBOX"; }\n';

describe("two resources of one program with one target", () => {
    const sandbox = dovecotForSuite({ users: ["alice", "bob"], plugins: true });
    const project = projectForSuite(sandbox, "one-target");
    /** What the server holds of alice's that any case could have changed, read with doveadm. */
    const serverState = () => accountState(sandbox, ALICE);

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
