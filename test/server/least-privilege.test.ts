// The provider works against a server that allows only the doveadm commands that the least-privilege
// guide (docs/guides/least-privilege.md) lists, and the guide lists exactly those, for 2.3 and 2.4.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REQUIRED_DOVEADM_COMMANDS } from "../../provider/client/client";
import { commandLineName } from "../../provider/client/transport";
import { call, configureFor } from "../harness/providers";
import { currentConnections } from "../../provider/connection";
import { usersOf } from "../../provider/queries";
import { REPO_ROOT } from "../harness/repo";
import { dovecotForSuite } from "../harness/suite";

const ALICE = "alice@example.org";

describe("a server with a least-privilege doveadm_allowed_commands", () => {
    const sandbox = dovecotForSuite({
        extraConfig: [`doveadm_allowed_commands = ${REQUIRED_DOVEADM_COMMANDS.join(",")}`],
    });

    beforeAll(() => configureFor(sandbox));

    it("is what the least-privilege guide tells a server to allow, on 2.3 and in 2.4's block form", () => {
        const guide = readFileSync(path.join(REPO_ROOT, "docs", "guides", "least-privilege.md"), "utf8");
        expect(guide).toContain(`\ndoveadm_allowed_commands = ${REQUIRED_DOVEADM_COMMANDS.join(",")}\n`);
        const block = /\ndoveadm_allowed_commands \{\n([\s\S]*?)\n\}\n/.exec(guide)?.[1] ?? "";
        const listed = block.split("\n").map((line) => /^\s*"?([a-z ]+?)"? = yes$/.exec(line)?.[1]);
        expect(listed).toEqual([...REQUIRED_DOVEADM_COMMANDS]);
    });

    it("spells commands the way the setting does", () => {
        expect(commandLineName("mailboxUnsubscribe")).toBe("mailbox unsubscribe");
        expect(commandLineName("reload")).toBe("reload");
    });

    it("runs every resource's whole lifecycle with only those commands", async () => {
        const inputs = {
            user: ALICE,
            name: "Least/Privilege",
            subscribed: true,
            forceDestroy: true,
            adopt: false,
        };
        const created = await call("mailbox", "create", inputs);
        await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Least/Privilege", "Moved"]);
        const read = await call("mailbox", "read", created.id, created.outs);
        expect(read.props.name).toBe("Moved");
        const updated = await call("mailbox", "update", created.id, read.props, inputs);
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Least/Privilege");
        await call("mailbox", "delete", created.id, updated.outs);
        expect(await sandbox.status(ALICE, "Least/Privilege")).toBeUndefined();

        const sub = await call("subscription", "create", { user: ALICE, mailbox: "Shared/X" });
        await call("subscription", "delete", sub.id, sub.outs);
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Shared/X");

        await call("reload", "create", { triggers: [1] });
        expect(sandbox.log()).toContain("SIGHUP received");
    });

    it("refuses listUsers without `user`, the guide's command for it, saying what to allow", async () => {
        expect(REQUIRED_DOVEADM_COMMANDS).not.toContain("user");
        const guide = readFileSync(path.join(REPO_ROOT, "docs", "guides", "least-privilege.md"), "utf8");
        expect(guide).toMatch(/`user` for `listUsers` and\s+`getUser`/);
        await expect(usersOf(currentConnections())).rejects.toMatchObject({
            code: "DOVEADM_COMMAND_NOT_ALLOWED",
            message: expect.stringContaining("Add user to doveadm_allowed_commands"),
        });
    });
});
