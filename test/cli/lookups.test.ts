// Lookups in a program, through the real CLI: they read the server with the stack's settings and record
// nothing (no resource, no setting in the state); one that fails (an unknown user, a server name not
// configured, a bad name) is printed by the CLI as the error it is: one message that names the command,
// the user and what to do, without the stack trace and the dump of the error's fields that an uncaught
// exception gets.
import { ResourceSpec } from "../harness/pulumi";
import { dovecotForSuite, projectForSuite } from "../harness/suite";
import { ALICE } from "../harness/accounts";

jest.setTimeout(300_000);

describe("lookups in the program", () => {
    const sandbox = dovecotForSuite({ users: ["alice"], plugins: true });
    const project = projectForSuite(sandbox, "lookups");

    it("read the server with the stack's settings, and record nothing", async () => {
        // What they read: a folder with two messages (the quota counts them) and an active script.
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Work"]);
        await sandbox.deliver(ALICE, "Work", 2);
        await sandbox.doveadm(["sieve", "put", "-u", ALICE, "-a", "filters"], "keep;\n");
        project.setResources([
            { kind: "Lookup", name: "quota", args: { fn: "getQuota", args: { user: ALICE } } },
            { kind: "Lookup", name: "folders", args: { fn: "listMailboxes", args: { user: ALICE } } },
            { kind: "Lookup", name: "scripts", args: { fn: "listSieveScripts", args: { user: ALICE } } },
            {
                kind: "Lookup",
                name: "work",
                args: { fn: "getMailboxStatus", args: { user: ALICE, mailbox: "Work" } },
            },
        ]);
        expect((await project.up()).code).toBe(0);
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
        expect(await project.stateResources()).toEqual([]);
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
