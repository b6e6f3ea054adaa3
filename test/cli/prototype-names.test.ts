// Server names that are also names of Object's prototype (`constructor`, `toString`) work like any
// other through the real CLI: the engine carries them in structured configuration and in outputs, which
// once failed with "Unexpected struct type". (What a Reload decides when its configuration does not
// load runs in-process: test/server/reload-verified.test.ts.)
import { Sandbox, reloadsLogged, startDovecot } from "../harness/dovecot";
import { PulumiProject, changedSteps } from "../harness/pulumi";

jest.setTimeout(300_000);

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
        const before = [reloadsLogged(first), reloadsLogged(second)];
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
            if (reloadsLogged(first) > before[0]! && reloadsLogged(second) > before[1]!) break;
            await new Promise((r) => setTimeout(r, 50));
        }
        expect([reloadsLogged(first), reloadsLogged(second)]).toEqual([before[0]! + 1, before[1]! + 1]);
        expect(await first.listMailboxes("alice@example.org")).toContain("Proto");
        // Nothing left to do: a second run reloads neither.
        expect(changedSteps(await project.preview())).toEqual([]);
        await project.destroy();
    });
});
