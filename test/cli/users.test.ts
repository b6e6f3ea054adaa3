// A program that takes its users from the server's user database (listUsers), through the real CLI, on
// a passwd-file and on an SQLite user database: a user added to the database gets the layout at the
// next `up` (the drift check, `preview --expect-no-changes`, reports them before); a departed user's
// resource leaves the stack at the next `up` with a warning that nothing was deleted, and their mail
// stays on disk, as docs/guides/users-from-dovecot.md says.
// The user database returns a password column (SQL) and password-like fields: none of it reaches the
// outputs, the state or the CLI's output.
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, SandboxOptions, startDovecot } from "../harness/dovecot";
import { PulumiProject, changedSteps, filesUnder } from "../harness/pulumi";

jest.setTimeout(600_000);

/** Every listed user gets one FolderSet of this layout; getUser's home is exported beside it. */
const PROGRAM = `"use strict";
const dovecot = require("pulumi-dovecot");
module.exports = async () => {
    const users = await dovecot.listUsers();
    const homes = {};
    for (const user of users) {
        new dovecot.FolderSet(user, {
            user,
            folders: [{ name: "Archive" }, { name: "Receipts", subscribed: false }],
        });
        homes[user] = await dovecot.getUser({ user });
    }
    return { users, homes };
};
`;

const PLANTED = "Pl4nted-Secret-Value";

const DATABASES: Array<[string, SandboxOptions["userdb"]]> = [
    ["passwd-file", { driver: "passwd-file" }],
    ["SQLite", { driver: "sql", fields: ["password", "note"] }],
];

describe.each(DATABASES)("users from a %s user database, through the pulumi CLI", (kind, userdb) => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    const fields = { note: `{PLAIN}${PLANTED}`, ...(kind === "passwd-file" ? { password: PLANTED } : {}) };
    /** Every password the server holds, and the planted value, in plain and base64. */
    const secrets = () =>
        [...sandbox.users.map((u) => u.password), PLANTED].flatMap((s) => [
            s,
            Buffer.from(s).toString("base64"),
        ]);
    const expectNoSecret = (text: string) => {
        for (const secret of secrets())
            expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    };
    const folderSets = async () =>
        (await project.stateResources())
            .filter((r) => r.type.endsWith(":FolderSet"))
            .map((r) => r.urn.split("::").pop())
            .sort();

    beforeAll(async () => {
        sandbox = await startDovecot({ users: [], userdb });
        await sandbox.addUser("alice", fields);
        await sandbox.addUser("bob", fields);
        project = await PulumiProject.create({ server: sandbox, name: "users-from-dovecot" });
        writeFileSync(path.join(project.dir, "index.js"), PROGRAM);
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("gives every user of the user database the layout, with no password anywhere", async () => {
        const up = await project.up();
        expect(await folderSets()).toEqual(["alice@example.org", "bob@example.org"]);
        for (const user of ["alice@example.org", "bob@example.org"])
            expect(await sandbox.listMailboxes(user)).toEqual(["Archive", "INBOX", "Receipts"]);
        const outputs = await project.outputs();
        expect(outputs.users).toEqual(["alice@example.org", "bob@example.org"]);
        const homes = outputs.homes as Record<string, { home: string }>;
        expect(homes["alice@example.org"]?.home).toBe(path.join(sandbox.dir, "home", "alice@example.org"));
        // The server does send the secrets: the checks below are not vacuous.
        expect(await sandbox.doveadm(["user", "alice@example.org"])).toContain(PLANTED);
        expectNoSecret(up.output);
        expectNoSecret(await project.exportText());
        expectNoSecret(JSON.stringify(outputs));
    });

    it("a user added to the user database fails the drift check, then gets the layout at the next up", async () => {
        await sandbox.addUser("carol", fields);
        // The nightly drift check of examples/ci, as the README and the CI example run it.
        const drift = await project.pulumi(
            [
                "preview",
                "--refresh",
                "--expect-no-changes",
                "--diff",
                "--non-interactive",
                "--stack",
                project.stack,
            ],
            { allowFailure: true },
        );
        expect(drift.code).not.toBe(0);
        expect(drift.output).toMatch(/\+ \S*FolderSet: \(create\)\s+\[urn=\S*::carol@example\.org\]/);
        expect(changedSteps(await project.preview())).toEqual(["create carol@example.org"]);
        await project.up();
        expect(await sandbox.listMailboxes("carol@example.org")).toEqual(["Archive", "INBOX", "Receipts"]);
        expect((await project.expectNoChanges()).code).toBe(0);
    });

    it("a departed user's removal converges at the next up, with a warning; their mail stays", async () => {
        const bob = "bob@example.org";
        await sandbox.deliver(bob, "Archive", 2);
        const maildir = path.join(sandbox.dir, "home", bob, "Maildir");
        const mailFiles = () => filesUnder(maildir).filter((f) => /[/\\](cur|new)[/\\]/.test(f));
        expect(mailFiles()).toHaveLength(2);
        await sandbox.removeUser(bob);

        // listUsers no longer lists bob: his FolderSet leaves the stack, nothing on the server changes.
        const removed = await project.up();
        expect(removed.output).toMatch(
            /FolderSet of user "bob@example\.org": the user is no longer in the server's user database/,
        );
        expect(removed.output).toContain("nothing was deleted");
        expect(await folderSets()).toEqual(["alice@example.org", "carol@example.org"]);
        expect((await project.expectNoChanges()).code).toBe(0);
        expect(existsSync(maildir)).toBe(true);
        expect(mailFiles()).toHaveLength(2);
        expectNoSecret(await project.exportText());
    });
});
