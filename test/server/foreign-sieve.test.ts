// Sieve scripts the program did not declare: a user's own active script is never deactivated by a
// SieveScript that did not store it, unless the program says so with `adopt`, and destroying the
// adopting SieveScript makes the user's script active again; two stacks that each declare an active
// script for one user do not flip-flop: the second is refused. Through the handlers' life cycle
// in-process, checked with `doveadm sieve list` on the server.
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { ALICE, BOB } from "../harness/accounts";
import { dovecotForSuite } from "../harness/suite";

jest.setTimeout(120_000);

const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "work" { fileinto "INBOX"; }\n';

describe("Sieve scripts the program did not declare", () => {
    const sandbox = dovecotForSuite({ users: ["alice", "bob"], plugins: true });
    let a: LifeCycle;
    let b: LifeCycle;
    /** The user's scripts as `doveadm sieve list` shows them: `name ACTIVE` or `name`. */
    const scripts = async (user: string) =>
        (await sandbox.doveadm(["sieve", "list", "-u", user]))
            .split("\n")
            .map((line) => line.trim().replace(/\s+/g, " "))
            .filter((line) => line.length > 0)
            .sort();
    const own = (user: string, name: string, extra: Record<string, unknown> = {}): Declared => ({
        kind: "sieve",
        name: `${name}-script`,
        args: { user, name, script: SCRIPT, active: true, ...extra },
    });

    beforeAll(async () => {
        const config = { "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey };
        a = new LifeCycle(config, "sieve-a");
        b = new LifeCycle(config, "sieve-b");
        // Alice filters with a script of her own, stored (and activated) outside any program.
        await sandbox.doveadm(["sieve", "put", "-u", ALICE, "-a", "mine"], SCRIPT);
    });

    it("an active SieveScript is refused, with the adopt advice, rather than deactivate the user's own script", async () => {
        const up = await a.up([own(ALICE, "filters")]);
        expect(up.error?.message).toMatch(
            /the user's active Sieve script is "mine", which this SieveScript did not store/,
        );
        expect(up.error?.message).toMatch(/adopt: true/);
        expect(await scripts(ALICE)).toEqual(["mine ACTIVE"]);
        // Declared inactive, it is stored and leaves hers active.
        await applied(a.up([own(ALICE, "filters", { active: false })]));
        expect(await scripts(ALICE)).toEqual(["filters", "mine ACTIVE"]);
    });

    it("with adopt it becomes the active one; destroying it makes the user's script active again", async () => {
        const program = [own(ALICE, "filters", { adopt: true })];
        await applied(a.up(program));
        expect(await scripts(ALICE)).toEqual(["filters ACTIVE", "mine"]);
        expect(a.outputs("filters-script")?.replacedActive).toBe("mine");
        await applied(a.refresh());
        expect(await a.changes(program)).toEqual([]);
        await applied(a.destroy());
        expect(await scripts(ALICE)).toEqual(["mine ACTIVE"]);
    });

    it("two stacks each declaring an active script for one user: the second is refused, and nothing flip-flops", async () => {
        await applied(a.up([own(BOB, "from-a")]));
        const refused = await b.up([own(BOB, "from-b")]);
        expect(refused.error?.message).toMatch(/the user's active Sieve script is "from-a"/);
        expect(await scripts(BOB)).toEqual(["from-a ACTIVE"]);
        // Run again, both: stack A has nothing to do, stack B is refused again; no flip-flop.
        await applied(a.refresh());
        expect(await a.changes([own(BOB, "from-a")])).toEqual([]);
        expect((await b.up([own(BOB, "from-b")])).error).toBeDefined();
        expect(await scripts(BOB)).toEqual(["from-a ACTIVE"]);
        await applied(b.up([]));
        await applied(a.destroy());
        expect(await scripts(BOB)).toEqual([]);
    });
});
