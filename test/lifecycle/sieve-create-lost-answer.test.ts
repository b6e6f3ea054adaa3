// Found by the model-based test (test/model/model.ts), fixed in provider/handlers/sieve.ts (a store or
// rename whose answer was lost is recorded as pending, or recognised by its text): a SieveScript whose create reached the
// server but whose answer was lost (every attempt's connection closed after Dovecot stored the script)
// was not recorded, and the next `up` refused its own script as someone else's: "the user already has a
// Sieve script of this name, which this program did not store". The README promises that a lost answer
// never becomes a false "already exists" (Interrupted runs); only `adopt: true` gets out of it.
// Expected: the next fault-free `up` takes back the script it stored, and nothing is left to do.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, changedSteps } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const SCRIPT = "# the program's rules\nkeep;\n";

describe("a SieveScript create whose answer was lost", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let project: PulumiProject;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "sieve-create-lost",
            resources: [
                { kind: "SieveScript", name: "rules", args: { user: ALICE, name: "rules", script: SCRIPT } },
            ],
        });
        await project.setConfig("dovecot:timeoutMs", "3000");
    });
    afterAll(async () => {
        project?.cleanup();
        await proxy?.close();
        await sandbox?.stop();
    });

    it("is taken back by the next up, not refused as someone else's", async () => {
        // Dovecot stores (and activates) the script each time; every answer is lost.
        proxy.setRules([{ command: "sievePut", action: { kind: "close-after" } }]);
        const cut = await project.up({ allowFailure: true });
        proxy.setRules([]);
        expect(cut.code).not.toBe(0);
        expect((await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim()).toMatch(/^rules\s+ACTIVE$/);

        const next = await project.up({ allowFailure: true });
        expect(next.output).not.toMatch(/which this program did not store/);
        expect(next.code).toBe(0);
        expect((await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim()).toMatch(/^rules\s+ACTIVE$/);
        expect(changedSteps(await project.preview({ refresh: true }))).toEqual([]);
    });
});
