// `pulumi import` of every resource kind of the `dovecot` provider plugin, through the real CLI, with
// the ids a person types (the Import section of each docs/resources page): each import reads what the server has and
// records it with the id its resource uses (a Mailbox by its GUID), which a refresh keeps; an id of the
// wrong form, or naming nothing, is refused with the form to use, and nothing is recorded. A YAML
// project, since its language host writes the code of an import.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { CommandResult, REPO_ROOT, StateResource, pulumiEnv, runCommand } from "../harness/pulumi";

jest.setTimeout(600_000);

const ALICE = "alice@example.org";
const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "x" { fileinto "INBOX"; }\n';

/** The folder holding the YAML, Python and Go language hosts (built once per machine). */
function langhostsBin(): string {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-langhosts.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 40 * 60_000,
    });
    return out.trim().split("\n").pop() ?? "";
}

describe("pulumi import of every resource kind of the dovecot plugin", () => {
    let sandbox: Sandbox;
    let root: string;
    let env: NodeJS.ProcessEnv;
    const dir = () => path.join(root, "project");
    const pulumi = (args: string[], input?: string): Promise<CommandResult> =>
        runCommand("pulumi", [...args, "--non-interactive", "--stack", "test"], dir(), env, {
            input,
            allowFailure: true,
            timeoutMs: 180_000,
        });
    const resources = async (): Promise<StateResource[]> => {
        const exported = await pulumi(["stack", "export"]);
        return (JSON.parse(exported.stdout).deployment.resources as StateResource[]).filter((r) =>
            r.type.startsWith("dovecot:index:"),
        );
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"], plugins: true });
        root = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-import-"));
        mkdirSync(path.join(root, "state"));
        mkdirSync(dir());
        writeFileSync(path.join(dir(), "Pulumi.yaml"), "name: imports\nruntime: yaml\nresources: {}\n");
        env = pulumiEnv(path.join(root, "state"));
        env.PATH = `${langhostsBin()}${path.delimiter}${env.PATH}`;
        await runCommand("pulumi", ["stack", "init", "test", "--non-interactive"], dir(), env);
        await pulumi(["config", "set", "dovecot:endpoint", sandbox.endpoint]);
        await pulumi(["config", "set", "--secret", "dovecot:apiKey"], sandbox.apiKey);
        // What exists on the server, made by someone else: a folder with mail, a subscription, a
        // Sieve script, an ACL entry and a METADATA entry.
        const d = (args: string[], input?: string) => sandbox.doveadm(args, input);
        await d(["mailbox", "create", "-u", ALICE, "Old/Stuff"]);
        await sandbox.deliver(ALICE, "Old/Stuff", 2);
        await d(["mailbox", "create", "-u", ALICE, "Team"]);
        await d(["mailbox", "subscribe", "-u", ALICE, "Shared/Team"]);
        await d(["sieve", "put", "-u", ALICE, "filters"], SCRIPT);
        await d(["acl", "set", "-u", ALICE, "Team", "user=bob@example.org", "lookup", "read"]);
        await d(["mailbox", "metadata", "set", "-u", ALICE, "Team", "/shared/comment", "the team"]);
    });
    afterAll(async () => {
        if (root) rmSync(root, { recursive: true, force: true });
        await sandbox?.stop();
    });

    const guidOf = async (name: string) => (await sandbox.status(ALICE, name))?.guid;

    it.each([
        [
            "Mailbox",
            "old",
            `${ALICE}/Old/Stuff`,
            async () => ({ id: await guidOf("Old/Stuff"), name: "Old/Stuff", messages: 2 }),
        ],
        ["FolderSet", "folders", ALICE, async () => ({ user: ALICE })],
        [
            "Subscription",
            "team-sub",
            `${ALICE}/Shared/Team`,
            async () => ({ id: `${ALICE}:Shared/Team`, mailbox: "Shared/Team" }),
        ],
        ["Reload", "reload", "config", async () => ({ triggers: [] })],
        [
            "SieveScript",
            "filters",
            `${ALICE}/filters`,
            async () => ({ id: `${ALICE}/filters`, script: SCRIPT, active: false }),
        ],
        [
            "MailboxAcl",
            "team-bob",
            `${ALICE}/Team/user=bob@example.org`,
            async () => ({ id: `${ALICE}/Team/user=bob@example.org`, rights: ["lookup", "read"] }),
        ],
        [
            "MailboxMetadata",
            "team-comment",
            `${ALICE}/Team//shared/comment`,
            async () => ({ id: `${ALICE}/Team//shared/comment`, value: "the team" }),
        ],
    ])("%s, by its id of the form its docs page gives", async (kind, name, id, expected) => {
        const result = await pulumi([
            "import",
            `dovecot:index:${kind}`,
            name,
            id,
            "--yes",
            "--protect=false",
        ]);
        expect(result.code).toBe(0);
        // The language host wrote the code of the import.
        expect(result.output).toMatch(new RegExp(`type: dovecot:(index:)?${kind}\\n`));
        const recorded = (await resources()).find((r) => r.urn.endsWith(`::${name}`));
        const want = await expected();
        const { id: wantedId, ...outputs } = want as { id?: string } & Record<string, unknown>;
        if (wantedId !== undefined) expect(recorded?.id).toBe(wantedId);
        expect(recorded?.outputs).toMatchObject(outputs);
        // A refresh keeps it as it is.
        const refreshed = await pulumi(["refresh", "--yes", "--skip-preview"]);
        expect(refreshed.code).toBe(0);
        expect((await resources()).find((r) => r.urn.endsWith(`::${name}`))?.outputs).toMatchObject(outputs);
    });

    it.each([
        [
            "Mailbox",
            "a folder that does not exist",
            `${ALICE}/Nowhere`,
            /the server has no mailbox "Nowhere"/,
        ],
        ["Mailbox", "an id without a user", "Old/Stuff", /the user name|does not start with a user name/],
        [
            "MailboxAcl",
            "an id without an identifier",
            `${ALICE}/Team`,
            /Import a MailboxAcl by <user>\/<mailbox name>\/<identifier>/,
        ],
        [
            "SieveScript",
            "a script that does not exist",
            `${ALICE}/nothing`,
            /the server has no Sieve script "nothing"/,
        ],
    ])("%s: %s is refused with the id form, and nothing is recorded", async (kind, _what, id, message) => {
        const before = (await resources()).length;
        const result = await pulumi(["import", `dovecot:index:${kind}`, "refused", id, "--yes"]);
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(message);
        expect((await resources()).length).toBe(before);
    });

    it("a user-level METADATA entry by <user>//<key>, as its docs page writes it (and with three slashes)", async () => {
        await sandbox.doveadm([
            "mailbox",
            "metadata",
            "set",
            "-u",
            ALICE,
            "-s",
            "",
            "/private/comment",
            "mine",
        ]);
        for (const [name, id] of [
            ["user-comment", `${ALICE}//private/comment`],
            ["user-comment-3", `${ALICE}///private/comment`],
        ] as const) {
            const result = await pulumi([
                "import",
                "dovecot:index:MailboxMetadata",
                name,
                id,
                "--yes",
                "--protect=false",
            ]);
            expect(result.code).toBe(0);
            const recorded = (await resources()).find((r) => r.urn.endsWith(`::${name}`));
            expect(recorded?.outputs).toMatchObject({
                user: ALICE,
                mailbox: "",
                key: "/private/comment",
                value: "mine",
            });
            await pulumi(["state", "delete", String(recorded?.urn), "--yes"]);
        }
    });

    it("a second import of one folder under another spelling of its user or of INBOX says it is recorded twice", async () => {
        const shouting = `${ALICE.toUpperCase()}/Old/Stuff`;
        const again = await pulumi([
            "import",
            "dovecot:index:Mailbox",
            "old-again",
            shouting,
            "--yes",
            "--protect=false",
        ]);
        expect(again.code).toBe(0);
        expect(again.output).toMatch(
            /knows "ALICE@EXAMPLE.ORG" and "alice@example.org" as one account; if this stack already manages this under "alice@example.org" \(or another spelling\), it is now recorded twice/,
        );
        const inbox = await pulumi([
            "import",
            "dovecot:index:Mailbox",
            "inbox-1",
            `${ALICE}/INBOX`,
            "--yes",
            "--protect=false",
        ]);
        expect(inbox.code).toBe(0);
        expect(inbox.output).not.toMatch(/recorded twice/);
        const lower = await pulumi([
            "import",
            "dovecot:index:Mailbox",
            "inbox-2",
            `${ALICE}/inbox`,
            "--yes",
            "--protect=false",
        ]);
        expect(lower.code).toBe(0);
        expect(lower.output).toMatch(
            /"inbox" is "INBOX" \(INBOX in any letter case is INBOX\) and is recorded so; if this stack already manages "INBOX" of this user, it is now recorded twice/,
        );
        for (const r of await resources())
            if (/::(old-again|inbox-[12])$/.test(r.urn)) await pulumi(["state", "delete", r.urn, "--yes"]);
    });

    it("an id in another Unicode form than the server's name says that the forms differ, and which the server has", async () => {
        const composed = "\u00c4rchiv"; // Ä as one code point
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, composed]);
        const decomposed = composed.normalize("NFD");
        const result = await pulumi([
            "import",
            "dovecot:index:Mailbox",
            "nfd",
            `${ALICE}/${decomposed}`,
            "--yes",
        ]);
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(
            /in the Unicode form the id uses \(NFD, decomposed\), but has "Ärchiv" in another form \(NFC, composed\)/,
        );
        expect(result.output).toMatch(/code points U\+00C4 U\+0072/);
        expect((await resources()).some((r) => r.urn.endsWith("::nfd"))).toBe(false);
    });
});
