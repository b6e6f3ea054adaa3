// A create that made the folder but failed a later step (here: the server does not allow `mailbox
// subscribe`) is recorded in the state with everything Pulumi needs to load the provider again, so
// `pulumi refresh` and `pulumi destroy` still work, and the next `up` after the fix converges.
import { REQUIRED_DOVEADM_COMMANDS } from "../../provider/client/client";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(240_000);

const ALICE = "alice@example.org";

describe("a partially failed create through the pulumi CLI", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    const resources: ResourceSpec[] = [
        { kind: "Mailbox", name: "half", args: { user: ALICE, name: "Half/Made" } },
        { kind: "FolderSet", name: "set", args: { user: ALICE, folders: [{ name: "Set/One" }] } },
    ];

    beforeAll(async () => {
        const allowed = REQUIRED_DOVEADM_COMMANDS.filter((c) => c !== "mailbox subscribe");
        sandbox = await startDovecot({
            users: ["alice"],
            extraConfig: [`doveadm_allowed_commands = ${allowed.join(",")}`],
        });
        project = await PulumiProject.create({ server: sandbox, name: "partial-failures", resources });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("records the folders it made with their provider, so refresh and destroy work", async () => {
        const up = await project.up({ allowFailure: true });
        expect(up.code).not.toBe(0);
        expect(up.output).toMatch(/does not allow the command mailboxSubscribe/);
        expect(up.output).toMatch(/mailbox subscribe/);

        const state = await project.stateResources();
        const half = state.find((r) => r.urn.endsWith("::half"));
        const set = state.find((r) => r.urn.endsWith("::set"));
        expect(half?.id).toBe((await sandbox.status(ALICE, "Half/Made"))?.guid);
        expect(typeof half?.outputs?.__provider).toBe("string");
        expect(set?.outputs?.mailboxes).toEqual([
            expect.objectContaining({
                name: "Set/One",
                guid: (await sandbox.status(ALICE, "Set/One"))?.guid,
            }),
        ]);
        expect(typeof set?.outputs?.__provider).toBe("string");

        const refresh = await project.refresh({ allowFailure: true });
        expect(refresh.output).not.toMatch(/code must be a string/);
        expect(refresh.code).toBe(0);

        const destroy = await project.destroy({ allowFailure: true });
        expect(destroy.output).not.toMatch(/code must be a string/);
        expect(destroy.code).toBe(0);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
        expect(await project.stateResources()).toEqual([]);
    });

    it("after the server allows the command, the next up finishes the job and converges", async () => {
        const first = await project.up({ allowFailure: true });
        expect(first.code).not.toBe(0);
        // Fix the server: allow every command the provider needs, and reload it.
        const conf = sandbox.configPath;
        const fs = await import("node:fs");
        const text = fs.readFileSync(conf, "utf8").replace(/doveadm_allowed_commands[\s\S]*$/m, "");
        fs.writeFileSync(conf, `${text}\n`);
        await sandbox.doveadm(["reload"]);
        // `doveadm reload` returns before the server has read the new configuration: wait until it
        // allows the command, asking for a user that does not exist (a refusal that changes nothing).
        const allowed = async () => {
            const answer = await fetch(`${sandbox.endpoint}/doveadm/v1`, {
                method: "POST",
                headers: {
                    "Content-Type": "application/json",
                    Authorization: `X-Dovecot-API ${Buffer.from(sandbox.apiKey).toString("base64")}`,
                },
                body: JSON.stringify([
                    ["mailboxSubscribe", { user: "nobody@example.org", mailbox: ["X"] }, "t"],
                ]),
                signal: AbortSignal.timeout(15_000),
            }).catch(() => undefined);
            const text = (await answer?.text()) ?? "";
            return answer?.status === 200 && !text.includes("unAuthorized");
        };
        for (let i = 0; !(await allowed()); i++) {
            if (i >= 150) throw new Error("the server still refuses mailboxSubscribe after its reload");
            await new Promise((resolve) => setTimeout(resolve, 100));
        }

        const again = await project.up();
        expect(again.code).toBe(0);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual(["Half/Made", "Set/One"]);
        expect(changedSteps(await project.preview())).toEqual([]);
        await project.destroy();
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
    });
});
