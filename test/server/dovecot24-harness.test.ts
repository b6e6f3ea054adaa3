// The sandbox runs the Dovecot version asked for by DOVECOT_VERSION (2.3 when unset): proves that a
// `DOVECOT_VERSION=2.4` run really tests 2.4.x and not the host's 2.3, and that both ways of reaching
// the server (the doveadm command line in its root, the HTTP API) work with the generated config.
import { Sandbox, dovecotVersion, logged, startDovecot } from "../harness/dovecot";
import { reply, responseBody, send } from "../harness/doveadm";
import { sandboxesLeft } from "../harness/processes";
import { existsSync } from "node:fs";
import * as path from "node:path";

const ALICE = "alice@example.org";

describe(`the sandbox Dovecot (DOVECOT_VERSION=${process.env.DOVECOT_VERSION || "2.3"})`, () => {
    let sandbox: Sandbox;
    const version = dovecotVersion();

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("runs the version asked for", async () => {
        // The master's log process may write the startup line a moment after the ports answer.
        const startupLine = /Dovecot v(\d+\.\d+)\.\S* .*starting up/;
        await logged(sandbox, startupLine);
        expect(startupLine.exec(sandbox.log())?.[1]).toBe(version);
    });

    it("reaches the same storage through the HTTP API and the doveadm command line", async () => {
        const answer = await send(sandbox, "mailboxCreate", { user: ALICE, mailbox: ["Harness/Probe"] });
        expect(answer).toMatchObject({ closed: false, status: 200 });
        expect(reply(answer)).toMatchObject({ body: responseBody() });
        expect(await sandbox.listMailboxes(ALICE)).toContain("Harness/Probe");

        await sandbox.deliver(ALICE, "Harness/Probe", 2);
        expect((await sandbox.status(ALICE, "Harness/Probe"))?.messages).toBe(2);
        expect(await sandbox.status(ALICE, "Harness/Missing")).toBeUndefined();
    });

    it("can be stopped and started again on the same ports", async () => {
        await sandbox.stopServer();
        await sandbox.startServer();
        expect((await sandbox.status(ALICE, "Harness/Probe"))?.messages).toBe(2);
    });

    it("says why a start failed, in the server's words, and leaves nothing behind", async () => {
        const failed = await startDovecot({
            users: ["alice"],
            extraConfig: ["no_such_setting_here = 1"],
        }).then(
            (started) => started.stop().then(() => new Error("the server started")),
            (error: unknown) => error as Error,
        );
        expect(failed.message).toMatch(/no_such_setting_here/);
        const configPath = /^dovecot -c (\S+)/.exec(failed.message)?.[1] ?? "";
        expect(path.basename(configPath)).toBe("dovecot.conf");
        expect(existsSync(path.dirname(configPath))).toBe(false);
        expect(sandboxesLeft().filter((p) => p.command.includes(configPath))).toEqual([]);
    });
});
