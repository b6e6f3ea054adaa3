// Found by the model-based test (test/model/model.ts), fixed in provider/handlers/sieve.ts (a store or
// rename whose answer was lost is recorded as pending, or recognised by its text): a SieveScript with `adopt: true` made
// active over a script someone else made active recorded that script (`replacedActive`) only when its
// create is answered. When the answer is lost (the connection closed after Dovecot stored and activated
// the script), the next `up` found its own script already active, recorded no `replacedActive`, and
// destroying it left the user with no active script instead of making theirs active again, as the
// README promises (SieveScript: "destroying it makes the user's script active again").
// Expected: the state records the replaced script after the next up, and destroy reactivates it.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const SCRIPT = "# the program's rules\nkeep;\n";

describe("an adopting SieveScript whose create's answer was lost", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let project: PulumiProject;
    const scripts = async () =>
        (await sandbox.doveadm(["sieve", "list", "-u", ALICE]))
            .split("\n")
            .map((line) => line.trim().replace(/\s+/g, " "))
            .filter((line) => line.length > 0)
            .sort();

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
        // Alice's own script, active, stored outside any program.
        await sandbox.doveadm(["sieve", "put", "-u", ALICE, "-a", "mine"], "# alice's own\nkeep;\n");
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "sieve-adopt-lost",
            resources: [
                {
                    kind: "SieveScript",
                    name: "rules",
                    args: { user: ALICE, name: "rules", script: SCRIPT, adopt: true },
                },
            ],
        });
        await project.setConfig("dovecot:timeoutMs", "3000");
    });
    afterAll(async () => {
        project?.cleanup();
        await proxy?.close();
        await sandbox?.stop();
    });

    it("still records the script it replaced, and destroy makes that one active again", async () => {
        proxy.setRules([{ command: "sievePut", action: { kind: "close-after" } }]);
        const cut = await project.up({ allowFailure: true });
        proxy.setRules([]);
        expect(cut.code).not.toBe(0);
        expect(await scripts()).toEqual(["mine", "rules ACTIVE"]);

        expect((await project.up()).code).toBe(0);
        expect((await project.stateResource("rules"))?.outputs?.replacedActive).toBe("mine");
        await project.destroy();
        expect(await scripts()).toEqual(["mine ACTIVE"]);
    });
});
