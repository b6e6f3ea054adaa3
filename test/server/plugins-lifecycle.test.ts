// One user's whole mail setup through the handlers' life cycle in-process: folders, a Sieve filing rule, a folder
// shared with a colleague (ACL) and a folder annotation (METADATA). Each is checked independently of
// the provider: with doveadm on the server (sieve list/get, acl get, mailbox metadata get), by
// delivering mail through dovecot-lda (the Sieve rule files it), and over IMAP as the colleague (the
// shared folder appears, then goes). (Lookups in a program run through the CLI: test/cli/lookups.test.ts.)
import { Sandbox, startDovecot } from "../harness/dovecot";
import { imapMailboxes } from "../harness/imap";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";

jest.setTimeout(120_000);

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
    extra?: Declared[];
    forceDestroy?: boolean;
}

function setup(options: Setup = {}): Declared[] {
    const folder = (name: string, folderName: string): Declared => ({
        kind: "mailbox",
        name,
        args: { user: ALICE, name: folderName, forceDestroy: options.forceDestroy ?? false },
    });
    return [
        folder("work", "Work"),
        folder("team", "Team"),
        {
            kind: "sieve",
            name: "filters",
            args: { user: ALICE, name: "filters", script: options.script ?? FILE_WORK },
        },
        {
            kind: "acl",
            name: "team-bob",
            args: {
                user: ALICE,
                mailbox: "Team",
                identifier: `user=${BOB}`,
                rights: options.rights ?? ["read", "lookup"],
            },
        },
        {
            kind: "metadata",
            name: "team-comment",
            args: {
                user: ALICE,
                mailbox: "Team",
                key: "/shared/comment",
                value: options.comment ?? "the team's folder",
            },
        },
        ...(options.extra ?? []),
    ];
}

describe("Sieve, ACL and METADATA through the handlers' life cycle", () => {
    let sandbox: Sandbox;
    let stack: LifeCycle;
    let program: Declared[] = setup();
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
        stack = new LifeCycle({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("up stores and activates the filing rule, shares the folder and annotates it", async () => {
        expect(await bobSees()).toEqual(["INBOX"]);
        await applied(stack.up(program));

        expect(await sieveList()).toMatch(/^filters\s+ACTIVE$/);
        expect(await sieveText("filters")).toContain('fileinto "Work"');
        await deliver("work item");
        await deliver("hello");
        expect(await count("Work")).toBe(1);
        expect(await count("INBOX")).toBe(1);

        expect(await aclOf("Team")).toMatch(new RegExp(`user=${BOB}\\s+lookup read`));
        expect(await bobSees()).toEqual(["INBOX", "shared", `shared/${ALICE}`, `shared/${ALICE}/Team`]);
        expect(await comment()).toContain("the team's folder");

        expect(stack.outputs("team-bob")?.rights).toEqual(["lookup", "read"]);
        expect(stack.outputs("filters")?.active).toBe(true);
    });

    it("preview right after up shows no changes", async () => {
        expect(await stack.changes(program)).toEqual([]);
    });

    it("changes update in place: the script, the rights, the value", async () => {
        program = setup({
            script: FILE_WORK_AND_URGENT,
            rights: ["lookup", "read", "insert"],
            comment: "renamed team",
        });
        expect((await stack.changes(program)).sort()).toEqual([
            "update filters",
            "update team-bob",
            "update team-comment",
        ]);
        await applied(stack.up(program));
        await deliver("urgent work");
        expect(await count("Team")).toBe(1);
        expect(await aclOf("Team")).toMatch(/lookup read insert|insert lookup read/);
        expect(await comment()).toContain("renamed team");
        expect(await stack.changes(program)).toEqual([]);
    });

    it("refresh finds what was changed out of band, and up puts it back", async () => {
        await sandbox.doveadm(["sieve", "deactivate", "-u", ALICE]);
        await sandbox.doveadm(["acl", "delete", "-u", ALICE, "Team", `user=${BOB}`]);
        await sandbox.doveadm(["mailbox", "metadata", "unset", "-u", ALICE, "Team", "/shared/comment"]);
        expect(await bobSees()).toEqual(["INBOX"]);

        await applied(stack.refresh());
        expect(stack.outputs("filters")?.active).toBe(false);
        expect(stack.outputs("team-bob")).toBeUndefined();
        expect(stack.outputs("team-comment")).toBeUndefined();
        expect((await stack.changes(program)).sort()).toEqual([
            "create team-bob",
            "create team-comment",
            "update filters",
        ]);

        await applied(stack.up(program));
        expect(await sieveList()).toMatch(/^filters\s+ACTIVE$/);
        expect(await bobSees()).toContain(`shared/${ALICE}/Team`);
        expect(await comment()).toContain("renamed team");
        expect(await stack.changes(program)).toEqual([]);
    });

    it("a script that does not compile is refused, and the stored, active one stays", async () => {
        program = setup({ script: BROKEN, rights: ["lookup", "read", "insert"], comment: "renamed team" });
        const failed = await stack.up(program);
        expect(String(failed.error?.message)).toContain(
            'sievePut for user "alice@example.org" (Sieve script "filters") failed: the server could not compile the Sieve script (exit 65)',
        );
        expect(await sieveText("filters")).toContain('"urgent"');
        expect(await sieveList()).toMatch(/^filters\s+ACTIVE$/);
        await deliver("work again");
        expect(await count("Work")).toBe(2);
    });

    it("two active scripts of one user fail in preview, before anything is sent", async () => {
        program = setup({
            script: FILE_WORK_AND_URGENT,
            rights: ["lookup", "read", "insert"],
            comment: "renamed team",
            extra: [
                {
                    kind: "sieve",
                    name: "vacation",
                    args: { user: ALICE, name: "vacation", script: "keep;\n" },
                },
            ],
        });
        const result = await stack.preview(program);
        expect(String(result.error?.message)).toMatch(
            /the SieveScript "(filters|vacation)" declares the active Sieve script of user "alice@example.org"[^\n]*which the SieveScript "(filters|vacation)" of this program declares too/,
        );
        expect(await sieveList()).not.toContain("vacation");
    });

    it("a right Dovecot does not know fails in preview with the list of rights", async () => {
        program = setup({ script: FILE_WORK_AND_URGENT, rights: ["lookup", "fly"], comment: "renamed team" });
        const result = await stack.preview(program);
        expect(String(result.error?.message)).toContain(
            'has unknown right(s) "fly"; the rights are lookup, read',
        );
    });

    it("destroy removes the script, the share and the annotation (the folders holding mail only when allowed)", async () => {
        program = setup({
            script: FILE_WORK_AND_URGENT,
            rights: ["lookup", "read", "insert"],
            comment: "renamed team",
            forceDestroy: true,
        });
        await applied(stack.up(program));
        await applied(stack.destroy());
        expect(await sieveList()).toBe("");
        expect(await bobSees()).toEqual(["INBOX"]);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
    });
});
