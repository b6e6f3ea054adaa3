// A lookup that fails in a program (an unknown user, a server name not configured, a server that is
// down) is printed by the CLI as the error it is: one message that names the command, the user and
// what to do, without the stack trace and the dump of the error's fields that an uncaught exception
// gets. Through the real CLI.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

jest.setTimeout(300_000);

describe("a lookup that fails in the program", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        project = await PulumiProject.create({ server: sandbox, name: "lookup-errors" });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it.each([
        [
            "an unknown user",
            { fn: "listMailboxes", args: { user: "nobody@example.org" } },
            /mailboxStatus for user "nobody@example.org" on mailbox "\*" failed: the user does not exist/,
        ],
        [
            "a server not configured",
            {
                fn: "getMailboxStatus",
                args: { user: "alice@example.org", mailbox: "INBOX", server: "nowhere" },
            },
            /server "nowhere" is not configured/,
        ],
        [
            "a bad mailbox name",
            { fn: "getMailboxStatus", args: { user: "alice@example.org", mailbox: "a//b" } },
            /mailboxStatus for user "alice@example.org" on mailbox "a\/\/b" failed: the mailbox name/,
        ],
    ])("%s: one clear message, no stack trace, no object dump", async (_what, args, message) => {
        const specs: ResourceSpec[] = [{ kind: "Lookup", name: "looked", args }];
        project.setResources(specs);
        const up = await project.up({ allowFailure: true });
        expect(up.code).not.toBe(0);
        expect(up.output).toMatch(message);
        expect(up.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(up.output).not.toMatch(/failed with an unhandled exception/);
        expect(up.output).not.toMatch(/\b(context|exitCode|httpStatus|reason):\s/);
    });
});
