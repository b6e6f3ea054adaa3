// A Reload tells the truth, through the real CLI: Dovecot answers `reload` at once even when its new
// configuration does not parse (it logs the error and goes on with the old one), so the resource checks
// that the configuration was loaded, fails with the server's reason when it was not, and records the
// reload as not done, so the first `up` after the fix reloads. And server names that are also names of
// Object's prototype (`constructor`, `toString`) work like any other.
import { readFileSync, writeFileSync } from "node:fs";
import { Sandbox, dovecotVersion, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec, changedSteps, occurrences } from "../harness/pulumi";

jest.setTimeout(300_000);

const SIGHUP = "SIGHUP received - reloading configuration";
const BAD_LINE = "this_is_not_a_setting = 1";

describe("a Reload whose configuration does not load", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    let original: string;
    const reloads = () => occurrences(sandbox.log(), SIGHUP);
    const reload = (trigger: string): ResourceSpec => ({
        kind: "Reload",
        name: "config",
        args: { triggers: [trigger] },
    });
    const breakConfig = () => writeFileSync(sandbox.configPath, `${original}${BAD_LINE}\n`);
    const fixConfig = () => writeFileSync(sandbox.configPath, original);
    /** Waits (bounded) until the server's log shows `count` reloads. */
    const reloadsReach = async (count: number) => {
        for (let i = 0; i < 400 && reloads() < count; i++) await new Promise((r) => setTimeout(r, 50));
        return reloads();
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        original = readFileSync(sandbox.configPath, "utf8");
        project = await PulumiProject.create({ server: sandbox, name: "reload-verified" });
    });
    afterAll(async () => {
        if (sandbox) fixConfig();
        project?.cleanup();
        await sandbox?.stop();
    });

    it("fails a create with the server's reason and records nothing; the up after the fix reloads", async () => {
        breakConfig();
        project.setResources([reload("1")]);
        const before = reloads();
        const failed = await project.up({ allowFailure: true });
        expect(failed.code).not.toBe(0);
        expect(failed.output).toMatch(/Dovecot did not load the new configuration/);
        expect(failed.output).toMatch(/run `pulumi up` again/);
        // Dovecot 2.4 says why over the API (2.3 only in its log file).
        if (dovecotVersion() === "2.4")
            expect(failed.output).toMatch(
                /the server says: Failed to read configuration[^\n]*this_is_not_a_setting/,
            );
        // The server did get the signal, and kept its old configuration.
        expect(await reloadsReach(before + 1)).toBe(before + 1);
        expect(await project.stateResource("config")).toBeUndefined();

        fixConfig();
        await project.up();
        expect(await reloadsReach(before + 2)).toBe(before + 2);
        expect((await project.stateResource("config"))?.outputs?.reloadedAt).toMatch(/^\d{4}-/);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("fails an update (new triggers) and records it as not reloaded; the up after the fix reloads once", async () => {
        breakConfig();
        project.setResources([reload("2")]);
        const before = reloads();
        const failed = await project.up({ allowFailure: true });
        expect(failed.code).not.toBe(0);
        expect(failed.output).toMatch(/Dovecot did not load the new configuration/);
        const recorded = await project.stateResource("config");
        expect(recorded?.outputs?.reloaded).toEqual({});
        // Still to do, so the next up reloads (a preview says so while the file is broken).
        expect(changedSteps(await project.preview())).toEqual(["update config"]);

        fixConfig();
        await project.up();
        expect(await reloadsReach(before + 2)).toBe(before + 2);
        expect(
            Object.keys(((await project.stateResource("config"))?.outputs?.reloaded ?? {}) as object),
        ).toEqual(["default"]);
        expect(changedSteps(await project.preview())).toEqual([]);
    });
});

describe("servers named constructor and toString", () => {
    let first: Sandbox;
    let second: Sandbox;
    let project: PulumiProject;

    beforeAll(async () => {
        [first, second] = await Promise.all([
            startDovecot({ users: ["alice"] }),
            startDovecot({ users: ["bob"] }),
        ]);
        project = await PulumiProject.create({ name: "prototype-names" });
        for (const [name, sandbox] of [
            ["constructor", first],
            ["toString", second],
        ] as const) {
            await project.setConfig(`dovecot:servers.${name}.endpoint`, sandbox.endpoint, { path: true });
            await project.setConfig(`dovecot:servers.${name}.apiKey`, sandbox.apiKey, {
                path: true,
                secret: true,
            });
        }
    });
    afterAll(async () => {
        project?.cleanup();
        await Promise.all([first?.stop(), second?.stop()]);
    });

    it("reload each once, and hold folders, like any other name", async () => {
        const before = [occurrences(first.log(), SIGHUP), occurrences(second.log(), SIGHUP)];
        project.setResources([
            { kind: "Reload", name: "both", args: { triggers: ["1"], servers: ["constructor", "toString"] } },
            {
                kind: "Mailbox",
                name: "box",
                args: { user: "alice@example.org", name: "Proto", server: "constructor" },
            },
        ]);
        const up = await project.up({ allowFailure: true });
        expect(up.output).not.toMatch(/Unexpected struct type/);
        expect(up.code).toBe(0);
        const reloaded = (await project.stateResource("both"))?.outputs?.reloaded as Record<string, string>;
        expect(Object.keys(reloaded).sort()).toEqual(["constructor", "toString"]);
        for (let i = 0; i < 100; i++) {
            if (
                occurrences(first.log(), SIGHUP) > before[0]! &&
                occurrences(second.log(), SIGHUP) > before[1]!
            )
                break;
            await new Promise((r) => setTimeout(r, 50));
        }
        expect([occurrences(first.log(), SIGHUP), occurrences(second.log(), SIGHUP)]).toEqual([
            before[0]! + 1,
            before[1]! + 1,
        ]);
        expect(await first.listMailboxes("alice@example.org")).toContain("Proto");
        // Nothing left to do: a second run reloads neither.
        expect(changedSteps(await project.preview())).toEqual([]);
        await project.destroy();
    });
});
