// Sieve scripts the program did not declare, through the real CLI: a user's own active script is never
// deactivated by a SieveScript that did not store it, unless the program says so with `adopt`, and
// destroying the adopting SieveScript makes the user's script active again; two stacks that each
// declare an active script for one user do not flip-flop: the second is refused. Checked with
// `doveadm sieve list` on the server.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "work" { fileinto "INBOX"; }\n';

describe("Sieve scripts the program did not declare", () => {
    let sandbox: Sandbox;
    const projects: PulumiProject[] = [];
    /** The user's scripts as `doveadm sieve list` shows them: `name ACTIVE` or `name`. */
    const scripts = async (user: string) =>
        (await sandbox.doveadm(["sieve", "list", "-u", user]))
            .split("\n")
            .map((line) => line.trim().replace(/\s+/g, " "))
            .filter((line) => line.length > 0)
            .sort();
    const own = (user: string, name: string, active = true): ResourceSpec => ({
        kind: "SieveScript",
        name: `${name}-script`,
        args: { user, name, script: SCRIPT, active },
    });

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"], plugins: true });
        for (const name of ["sieve-a", "sieve-b"])
            projects.push(await PulumiProject.create({ server: sandbox, name }));
        // Alice filters with a script of her own, stored (and activated) outside any program.
        await sandbox.doveadm(["sieve", "put", "-u", ALICE, "-a", "mine"], SCRIPT);
    });
    afterAll(async () => {
        for (const project of projects) project.cleanup();
        await sandbox?.stop();
    });

    it("an active SieveScript is refused, with the adopt advice, rather than deactivate the user's own script", async () => {
        const [a] = projects as [PulumiProject];
        a.setResources([own(ALICE, "filters")]);
        const up = await a.up({ allowFailure: true });
        expect(up.code).not.toBe(0);
        expect(up.output).toMatch(
            /the user's active Sieve script is "mine", which this SieveScript did not store/,
        );
        expect(up.output).toMatch(/adopt: true/);
        expect(await scripts(ALICE)).toEqual(["mine ACTIVE"]);
        // Declared inactive, it is stored and leaves hers active.
        a.setResources([own(ALICE, "filters", false)]);
        await a.up();
        expect(await scripts(ALICE)).toEqual(["filters", "mine ACTIVE"]);
    });

    it("with adopt it becomes the active one; destroying it makes the user's script active again", async () => {
        const [a] = projects as [PulumiProject];
        const adopted = own(ALICE, "filters");
        adopted.args.adopt = true;
        a.setResources([adopted]);
        await a.up();
        expect(await scripts(ALICE)).toEqual(["filters ACTIVE", "mine"]);
        expect((await a.stateResource("filters-script"))?.outputs?.replacedActive).toBe("mine");
        expect(changedSteps(await a.preview({ refresh: true }))).toEqual([]);
        await a.destroy();
        expect(await scripts(ALICE)).toEqual(["mine ACTIVE"]);
    });

    it("two stacks each declaring an active script for one user: the second is refused, and nothing flip-flops", async () => {
        const [a, b] = projects as [PulumiProject, PulumiProject];
        a.setResources([own(BOB, "from-a")]);
        b.setResources([own(BOB, "from-b")]);
        await a.up();
        const refused = await b.up({ allowFailure: true });
        expect(refused.code).not.toBe(0);
        expect(refused.output).toMatch(/the user's active Sieve script is "from-a"/);
        expect(await scripts(BOB)).toEqual(["from-a ACTIVE"]);
        // Run again, both: stack A has nothing to do, stack B is refused again; no flip-flop.
        expect(changedSteps(await a.preview({ refresh: true }))).toEqual([]);
        expect((await b.up({ allowFailure: true })).code).not.toBe(0);
        expect(await scripts(BOB)).toEqual(["from-a ACTIVE"]);
        b.setResources([]);
        await b.up();
        await a.destroy();
        expect(await scripts(BOB)).toEqual([]);
    });
});
