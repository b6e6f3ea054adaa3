// Three defects the model-based test found (test/cli/model), fixed in provider/handlers/sieve.ts (a
// store or rename whose answer was lost is recorded as pending, or recognised by its text), replayed
// through the handlers' life cycle in-process, with the fault proxy losing the answers:
// - a create whose answer was lost (Dovecot stored the script) was not recorded, and the next `up`
//   refused its own script as someone else's ("which this program did not store");
// - a rename whose answer was lost kept the old name in the state, and every next `up` failed with
//   exit 68 (the old name is gone);
// - an adopting SieveScript whose create's answer was lost recorded no `replacedActive`, so destroying
//   it left the user with no active script instead of making theirs active again.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";

jest.setTimeout(120_000);

const ALICE = "alice@example.org";
const SCRIPT = "# the program's rules\nkeep;\n";
const rules = (name: string, extra: Record<string, unknown> = {}): Declared => ({
    kind: "sieve",
    name: "rules",
    args: { user: ALICE, name, script: SCRIPT, ...extra },
});

describe("SieveScript writes whose answers were lost", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    const scripts = async () =>
        (await sandbox.doveadm(["sieve", "list", "-u", ALICE]))
            .split("\n")
            .map((line) => line.trim().replace(/\s+/g, " "))
            .filter((line) => line.length > 0)
            .sort();
    const stackOf = (project: string) =>
        new LifeCycle(
            {
                "dovecot:endpoint": proxy.endpoint,
                "dovecot:apiKey": sandbox.apiKey,
                "dovecot:timeoutMs": "3000",
            },
            project,
        );

    beforeEach(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
    });
    afterEach(async () => {
        await proxy?.close();
        await sandbox?.stop();
    });

    it("a create whose answer was lost is taken back by the next up, not refused as someone else's", async () => {
        const stack = stackOf("sieve-create-lost");
        // Dovecot stores (and activates) the script each time; every answer is lost.
        proxy.setRules([{ command: "sievePut", action: { kind: "close-after" } }]);
        const cut = await stack.up([rules("rules")]);
        proxy.setRules([]);
        expect(cut.error).toBeDefined();
        expect(await scripts()).toEqual(["rules ACTIVE"]);

        const next = await stack.up([rules("rules")]);
        expect(next.error?.message ?? "").not.toMatch(/which this program did not store/);
        expect(next.error).toBeUndefined();
        expect(await scripts()).toEqual(["rules ACTIVE"]);
        await applied(stack.refresh());
        expect(await stack.changes([rules("rules")])).toEqual([]);
    });

    it("a rename whose answer was lost is seen done by the next up", async () => {
        const stack = stackOf("sieve-rename-lost");
        await applied(stack.up([rules("rules")]));
        proxy.setRules([{ command: "sieveRename", action: { kind: "close-after" }, times: 1 }]);
        const cut = await stack.up([rules("lists")]);
        proxy.setRules([]);
        expect(cut.error).toBeDefined();
        expect(await scripts()).toEqual(["lists ACTIVE"]);

        const next = await stack.up([rules("lists")]);
        expect(next.error?.message ?? "").not.toMatch(/exit 68/);
        expect(next.error).toBeUndefined();
        expect(await scripts()).toEqual(["lists ACTIVE"]);
        await applied(stack.refresh());
        expect(await stack.changes([rules("lists")])).toEqual([]);
    });

    it("an adopting create whose answer was lost still records the script it replaced, and destroy makes that one active again", async () => {
        const stack = stackOf("sieve-adopt-lost");
        // Alice's own script, active, stored outside any program.
        await sandbox.doveadm(["sieve", "put", "-u", ALICE, "-a", "mine"], "# alice's own\nkeep;\n");
        proxy.setRules([{ command: "sievePut", action: { kind: "close-after" } }]);
        const cut = await stack.up([rules("rules", { adopt: true })]);
        proxy.setRules([]);
        expect(cut.error).toBeDefined();
        expect(await scripts()).toEqual(["mine", "rules ACTIVE"]);

        await applied(stack.up([rules("rules", { adopt: true })]));
        expect(stack.outputs("rules")?.replacedActive).toBe("mine");
        await applied(stack.destroy());
        expect(await scripts()).toEqual(["mine ACTIVE"]);
    });
});
