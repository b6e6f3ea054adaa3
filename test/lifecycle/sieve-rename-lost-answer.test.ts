// Found by the model-based test (test/model/model.ts), fixed in provider/handlers/sieve.ts (a store or
// rename whose answer was lost is recorded as pending, or recognised by its text): a SieveScript rename whose answer was
// lost (the connection closed after Dovecot renamed the script) failed the update as an unknown outcome
// and the state kept the old name; every next `up` then sent the rename again and failed with "the
// mailbox does not exist (exit 68)" (the old name is gone), and the advice it gives (`pulumi refresh`,
// then run again) dropped the resource, whose create was then refused as someone else's script of the new
// name. Expected: the next fault-free `up` sees the rename done, and nothing is left to do.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const SCRIPT = "# the program's rules\nkeep;\n";
const script = (name: string): ResourceSpec => ({
    kind: "SieveScript",
    name: "rules",
    args: { user: ALICE, name, script: SCRIPT },
});

describe("a SieveScript rename whose answer was lost", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let project: PulumiProject;
    const scripts = async () => (await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim();

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "sieve-rename-lost",
            resources: [script("rules")],
        });
        await project.setConfig("dovecot:timeoutMs", "3000");
        await project.up();
    });
    afterAll(async () => {
        project?.cleanup();
        await proxy?.close();
        await sandbox?.stop();
    });

    it("is seen done by the next up", async () => {
        project.setResources([script("lists")]);
        proxy.setRules([{ command: "sieveRename", action: { kind: "close-after" }, times: 1 }]);
        const cut = await project.up({ allowFailure: true });
        proxy.setRules([]);
        expect(cut.code).not.toBe(0);
        expect(await scripts()).toMatch(/^lists\s+ACTIVE$/);

        const next = await project.up({ allowFailure: true });
        expect(next.output).not.toMatch(/exit 68/);
        expect(next.code).toBe(0);
        expect(await scripts()).toMatch(/^lists\s+ACTIVE$/);
        expect(changedSteps(await project.preview({ refresh: true }))).toEqual([]);
    });
});
