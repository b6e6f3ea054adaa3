// One user's whole mail setup through the real `pulumi` CLI: folders, a Sieve filing rule, a folder
// shared with a colleague (ACL) and a folder annotation (METADATA). Each is checked independently of
// the provider: with doveadm on the server (sieve list/get, acl get, mailbox metadata get), by
// delivering mail through dovecot-lda (the Sieve rule files it), and over IMAP as the colleague (the
// shared folder appears, then goes).
import { Sandbox, startDovecot } from "../harness/dovecot";
import { imapMailboxes } from "../harness/imap";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

const FILE_WORK = 'require "fileinto";\nif header :contains "Subject" "work" { fileinto "Work"; }\n';
const FILE_WORK_AND_URGENT =
    'require "fileinto";\nif header :contains "Subject" "urgent" { fileinto "Team"; stop; }\nif header :contains "Subject" "work" { fileinto "Work"; }\n';
/** Does not compile: the header test needs two arguments. */
const BROKEN = 'require "fileinto";\nif header "Subject" { fileinto "Work"; }\n';

interface Setup {
    script?: string;
    rights?: string[];
    comment?: string;
    extra?: ResourceSpec[];
    forceDestroy?: boolean;
}

function setup(options: Setup = {}): ResourceSpec[] {
    const folder = (name: string, folderName: string): ResourceSpec => ({
        kind: "Mailbox",
        name,
        args: { user: ALICE, name: folderName, forceDestroy: options.forceDestroy ?? false },
    });
    return [
        folder("work", "Work"),
        folder("team", "Team"),
        {
            kind: "SieveScript",
            name: "filters",
            args: { user: ALICE, name: "filters", script: options.script ?? FILE_WORK },
            dependsOn: ["work"],
        },
        {
            kind: "MailboxAcl",
            name: "team-bob",
            args: {
                user: ALICE,
                mailbox: "Team",
                identifier: `user=${BOB}`,
                rights: options.rights ?? ["read", "lookup"],
            },
            dependsOn: ["team"],
        },
        {
            kind: "MailboxMetadata",
            name: "team-comment",
            args: {
                user: ALICE,
                mailbox: "Team",
                key: "/shared/comment",
                value: options.comment ?? "the team's folder",
            },
            dependsOn: ["team"],
        },
        ...(options.extra ?? []),
    ];
}

describe("Sieve, ACL and METADATA through the pulumi CLI", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    const login = (name: string) => sandbox.users.find((u) => u.name === name)!;
    const bobSees = async () => (await imapMailboxes(sandbox, login(BOB))).map((m) => m.path);
    const sieveList = async () => (await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim();
    const sieveText = (name: string) => sandbox.doveadm(["sieve", "get", "-u", ALICE, name]);
    const aclOf = async (mailbox: string) =>
        (await sandbox.doveadm(["acl", "get", "-u", ALICE, mailbox])).trim();
    const comment = async () =>
        (
            await sandbox.doveadm(["mailbox", "metadata", "get", "-u", ALICE, "Team", "/shared/comment"])
        ).trim();
    const deliver = (subject: string) =>
        sandbox.deliverLda(ALICE, `From: x@example.org\nTo: ${ALICE}\nSubject: ${subject}\n\nbody\n`);
    const count = async (mailbox: string) => (await sandbox.status(ALICE, mailbox))?.messages;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"], plugins: true });
        project = await PulumiProject.create({
            server: sandbox,
            name: "plugins-lifecycle",
            resources: setup(),
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("up stores and activates the filing rule, shares the folder and annotates it", async () => {
        expect(await bobSees()).toEqual(["INBOX"]);
        const result = await project.up();
        expect(result.code).toBe(0);

        expect(await sieveList()).toMatch(/^filters\s+ACTIVE$/);
        expect(await sieveText("filters")).toContain('fileinto "Work"');
        await deliver("work item");
        await deliver("hello");
        expect(await count("Work")).toBe(1);
        expect(await count("INBOX")).toBe(1);

        expect(await aclOf("Team")).toMatch(new RegExp(`user=${BOB}\\s+lookup read`));
        expect(await bobSees()).toEqual(["INBOX", "shared", `shared/${ALICE}`, `shared/${ALICE}/Team`]);
        expect(await comment()).toContain("the team's folder");

        const outputs = await project.outputs();
        expect(outputs["team-bob"]?.rights).toEqual(["lookup", "read"]);
        expect(outputs.filters?.active).toBe(true);
    });

    it("lookups in the program read the server with the stack's settings, and record nothing", async () => {
        project.setResources([
            ...setup(),
            { kind: "Lookup", name: "quota", args: { fn: "getQuota", args: { user: ALICE } } },
            { kind: "Lookup", name: "folders", args: { fn: "listMailboxes", args: { user: ALICE } } },
            { kind: "Lookup", name: "scripts", args: { fn: "listSieveScripts", args: { user: ALICE } } },
            {
                kind: "Lookup",
                name: "work",
                args: { fn: "getMailboxStatus", args: { user: ALICE, mailbox: "Work" } },
            },
        ]);
        const result = await project.up();
        expect(result.code).toBe(0);
        const outputs = (await project.outputs()) as Record<string, unknown>;
        const quota = outputs.quota as Array<{ type: string; limit?: number; value: number }>;
        expect(quota.find((q) => q.type === "STORAGE")?.limit).toBe(10240);
        expect(quota.find((q) => q.type === "MESSAGE")?.value).toBe(2);
        const folders = outputs.folders as Array<{ name: string; messages: number }>;
        expect(folders.map((f) => f.name).sort()).toEqual(await sandbox.listMailboxes(ALICE));
        expect(outputs.scripts).toEqual([{ name: "filters", active: true }]);
        expect((outputs.work as { guid: string }).guid).toBe((await sandbox.status(ALICE, "Work"))?.guid);
        // Nothing but the stack's outputs: no resource, and no setting, in the state.
        const exported = await project.exportText();
        expect(exported).not.toContain(sandbox.apiKey);
        expect(exported).not.toContain(Buffer.from(sandbox.apiKey).toString("base64"));
        expect((await project.stateResources()).length).toBe(5);
        project.setResources(setup());
        await project.up();
    });

    it("preview right after up shows no changes", async () => {
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("changes update in place: the script, the rights, the value", async () => {
        project.setResources(
            setup({
                script: FILE_WORK_AND_URGENT,
                rights: ["lookup", "read", "insert"],
                comment: "renamed team",
            }),
        );
        expect(changedSteps(await project.preview()).sort()).toEqual([
            "update filters",
            "update team-bob",
            "update team-comment",
        ]);
        await project.up();
        await deliver("urgent work");
        expect(await count("Team")).toBe(1);
        expect(await aclOf("Team")).toMatch(/lookup read insert|insert lookup read/);
        expect(await comment()).toContain("renamed team");
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("refresh finds what was changed out of band, and up puts it back", async () => {
        await sandbox.doveadm(["sieve", "deactivate", "-u", ALICE]);
        await sandbox.doveadm(["acl", "delete", "-u", ALICE, "Team", `user=${BOB}`]);
        await sandbox.doveadm(["mailbox", "metadata", "unset", "-u", ALICE, "Team", "/shared/comment"]);
        expect(await bobSees()).toEqual(["INBOX"]);

        await project.refresh();
        expect((await project.stateResource("filters"))?.outputs?.active).toBe(false);
        expect(await project.stateResource("team-bob")).toBeUndefined();
        expect(await project.stateResource("team-comment")).toBeUndefined();
        expect(changedSteps(await project.preview()).sort()).toEqual([
            "create team-bob",
            "create team-comment",
            "update filters",
        ]);

        await project.up();
        expect(await sieveList()).toMatch(/^filters\s+ACTIVE$/);
        expect(await bobSees()).toContain(`shared/${ALICE}/Team`);
        expect(await comment()).toContain("renamed team");
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("a script that does not compile is refused, and the stored, active one stays", async () => {
        project.setResources(
            setup({ script: BROKEN, rights: ["lookup", "read", "insert"], comment: "renamed team" }),
        );
        const failed = await project.up({ allowFailure: true });
        expect(failed.code).not.toBe(0);
        expect(failed.output).toContain(
            'sievePut for user "alice@example.org" (Sieve script "filters") failed: the server could not compile the Sieve script (exit 65)',
        );
        expect(await sieveText("filters")).toContain('"urgent"');
        expect(await sieveList()).toMatch(/^filters\s+ACTIVE$/);
        await deliver("work again");
        expect(await count("Work")).toBe(2);
    });

    it("two active scripts of one user fail in preview, before anything is sent", async () => {
        project.setResources(
            setup({
                script: FILE_WORK_AND_URGENT,
                rights: ["lookup", "read", "insert"],
                comment: "renamed team",
                extra: [
                    {
                        kind: "SieveScript",
                        name: "vacation",
                        args: { user: ALICE, name: "vacation", script: "keep;\n" },
                    },
                ],
            }),
        );
        const result = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
            allowFailure: true,
        });
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(
            /the SieveScript "(filters|vacation)" declares the active Sieve script of user "alice@example.org"[^\n]*which the SieveScript "(filters|vacation)" of this program declares too/,
        );
        expect(await sieveList()).not.toContain("vacation");
    });

    it("a right Dovecot does not know fails in preview with the list of rights", async () => {
        project.setResources(
            setup({ script: FILE_WORK_AND_URGENT, rights: ["lookup", "fly"], comment: "renamed team" }),
        );
        const result = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
            allowFailure: true,
        });
        expect(result.code).not.toBe(0);
        expect(result.output).toContain('has unknown right(s) "fly"; the rights are lookup, read');
    });

    it("destroy removes the script, the share and the annotation (the folders holding mail only when allowed)", async () => {
        project.setResources(
            setup({
                script: FILE_WORK_AND_URGENT,
                rights: ["lookup", "read", "insert"],
                comment: "renamed team",
                forceDestroy: true,
            }),
        );
        await project.up();
        const result = await project.destroy();
        expect(result.code).toBe(0);
        expect(await sieveList()).toBe("");
        expect(await bobSees()).toEqual(["INBOX"]);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
    });
});
