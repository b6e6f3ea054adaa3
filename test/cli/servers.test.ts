// Named servers through the real `pulumi` CLI, where the engine's part matters: their settings set
// with `pulumi config set --path` (credentials with --secret), a `server` on each resource; a wrong key
// for one server stops work on that server only, the others going on under `up --continue-on-error`;
// and no server's credential, in any form, in the state, the backend's files, the stack's file or any
// command's output. Each backend is read with its own doveadm. (What the handlers do with several
// servers and a proxy in front of them: test/server/servers.test.ts.)
import { readFileSync } from "node:fs";
import { credentialForms } from "../../provider/client/redact";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec, filesUnder, readProjectFile } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

function mailbox(name: string, user: string, folder: string, server: string): ResourceSpec {
    return { kind: "Mailbox", name, args: { user, name: folder, server } };
}

describe("named servers through the pulumi CLI", () => {
    let backend1: Sandbox;
    let backend2: Sandbox;
    let project: PulumiProject;
    const resources = [
        mailbox("alice-projects", ALICE, "Projects", "backend1"),
        mailbox("bob-projects", BOB, "Projects", "backend2"),
    ];
    const secrets = () =>
        [backend1, backend2].flatMap((b) => credentialForms({ apiKey: b.apiKey, password: b.password }));

    beforeAll(async () => {
        [backend1, backend2] = await Promise.all([
            startDovecot({ users: ["alice"] }),
            startDovecot({ users: ["bob"] }),
        ]);
        project = await PulumiProject.create({ name: "servers", resources });
        // No default server: every resource names its own.
        await project.setConfig("dovecot:servers.backend1.endpoint", backend1.endpoint, { path: true });
        await project.setConfig("dovecot:servers.backend1.apiKey", backend1.apiKey, {
            path: true,
            secret: true,
        });
        await project.setConfig("dovecot:servers.backend2.endpoint", backend2.endpoint, { path: true });
        await project.setConfig("dovecot:servers.backend2.password", backend2.password, {
            path: true,
            secret: true,
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await Promise.all([backend1, backend2].map((sandbox) => sandbox?.stop()));
    });

    it("up puts each user's folder on their own backend", async () => {
        expect((await project.up()).code).toBe(0);
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Projects"]);
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects"]);
        expect((await project.outputs())["bob-projects"]?.server).toBe("backend2");
    });

    it("a wrong key for one server stops work on that server only", async () => {
        await project.setConfig("dovecot:servers.backend2.apiKey", "wrong-key-8e1d", {
            path: true,
            secret: true,
        });
        await project.setConfig("dovecot:servers.backend2.password", "", { path: true, secret: true });
        project.setResources([
            ...resources,
            mailbox("alice-new", ALICE, "New", "backend1"),
            mailbox("bob-new", BOB, "New", "backend2"),
        ]);
        // --continue-on-error: the engine would otherwise start nothing new after the first failure.
        const failed = await project.pulumi(
            [
                "up",
                "--yes",
                "--skip-preview",
                "--non-interactive",
                "--continue-on-error",
                "--stack",
                project.stack,
            ],
            { allowFailure: true },
        );
        expect(failed.code).not.toBe(0);
        expect(failed.output).toMatch(/on server "backend2".*rejected the credentials \(HTTP 401\)/);
        expect(failed.output).toContain(
            "Check dovecot:servers.backend2.apiKey (or dovecot:servers.backend2.password)",
        );
        expect(await backend1.listMailboxes(ALICE)).toContain("New");
        expect(await backend2.listMailboxes(BOB)).not.toContain("New");
        expect(failed.output).not.toContain("wrong-key-8e1d");

        await project.setConfig("dovecot:servers.backend2.password", backend2.password, {
            path: true,
            secret: true,
        });
        await project.pulumi([
            "config",
            "rm",
            "--path",
            "dovecot:servers.backend2.apiKey",
            "--stack",
            project.stack,
        ]);
        await project.up();
        expect(await backend2.listMailboxes(BOB)).toContain("New");
    });

    it("keeps every server's credentials out of state, config file and output", async () => {
        const exported = await project.exportText();
        expect(exported).toContain("backend2"); // the name is there; the settings are not
        for (const file of filesUnder(project.stateDir)) {
            const text = readFileSync(file, "utf8");
            for (const secret of secrets()) expect(text).not.toContain(secret);
        }
        const config = readProjectFile(project, `Pulumi.${project.stack}.yaml`);
        for (const secret of secrets()) expect(config).not.toContain(secret);
        const output = project.history.map((r) => r.output).join("\n");
        for (const secret of secrets()) expect(output).not.toContain(secret);
        await project.destroy();
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX"]);
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX"]);
    });
});
