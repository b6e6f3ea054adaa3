// Creates survive a lost checkpoint: when the state does not record folders that a run made (the
// state was deleted, or the CLI died before writing it, as with PULUMI_SKIP_CHECKPOINTS), the next
// `up` recognises them by the tag in their GUIDs and takes them back as they are, with no "already
// exists" and no adopt; a folder that someone else made under a declared name is still refused.
// Everything is checked on the server with doveadm.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { deferred, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(600_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
/** Folders per user in the killed run. */
const PER_USER = 80;
/** The create request the CLI is killed at. */
const KILLED_AT = 6;

/** The GUID of every folder of `user` under `prefix`, by name, from doveadm. */
async function guids(sandbox: Sandbox, user: string, prefix: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const m of await sandbox.mailboxes(user)) if (m.name.startsWith(prefix)) found.set(m.name, m.guid);
    return found;
}

describe("creates that survive a lost checkpoint", () => {
    let sandbox: Sandbox;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("after the state is deleted, up takes back the folders it made and still refuses one someone else made", async () => {
        const mine: ResourceSpec[] = Array.from({ length: 6 }, (_, i) => ({
            kind: "Mailbox",
            name: `mine-${i}`,
            args: { user: ALICE, name: `Mine/F${i}`, subscribed: i % 2 === 0 },
        }));
        const project = await PulumiProject.create({ server: sandbox, name: "lost-state", resources: mine });
        try {
            await project.up();
            const made = await guids(sandbox, ALICE, "Mine/");
            expect([...made.keys()].sort()).toEqual(mine.map((r) => r.args.name).sort());

            // Someone else makes a folder with mail in it, and the program declares that name too.
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Theirs"]);
            await sandbox.deliver(ALICE, "Theirs", 2);
            const theirs = (await sandbox.status(ALICE, "Theirs"))?.guid;
            await project.forgetResources();
            expect(await project.stateResources()).toEqual([]);
            // The engine starts no step after the first failure, so "theirs" depends on the others:
            // otherwise a folder whose step had not started when "theirs" failed is taken back only by
            // the next up, and what this run recorded would depend on timing.
            project.setResources([
                ...mine,
                {
                    kind: "Mailbox",
                    name: "theirs",
                    args: { user: ALICE, name: "Theirs" },
                    dependsOn: mine.map((r) => r.name),
                },
            ]);

            const up = await project.up({ allowFailure: true });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(/"Theirs"/);
            expect(up.output).toMatch(/this stack did not create it/);
            expect(up.output).toMatch(/adopt: true/);
            expect(up.output).not.toMatch(/Mine\/F\d[^\n]*already exists/);
            // Its own folders are taken back as they were: same GUIDs, recorded as the resources' ids.
            const after = await guids(sandbox, ALICE, "Mine/");
            for (const [name, guid] of made) expect(after.get(name)).toBe(guid);
            const state = await project.stateResources();
            for (const spec of mine) {
                const resource = state.find((r) => r.urn.endsWith(`::${spec.name}`));
                expect(resource?.id).toBe(made.get(spec.args.name as string));
            }
            expect((await sandbox.listSubscriptions(ALICE)).filter((n) => n.startsWith("Mine/"))).toEqual([
                "Mine/F0",
                "Mine/F2",
                "Mine/F4",
            ]);
            // The other writer's folder is untouched.
            expect(await sandbox.status(ALICE, "Theirs")).toMatchObject({ guid: theirs, messages: 2 });
            expect(state.find((r) => r.urn.endsWith("::theirs"))).toBeUndefined();

            project.setResources(mine);
            await project.up();
            expect(changedSteps(await project.preview())).toEqual([]);
            await project.destroy();
            expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX", "Theirs"]);
        } finally {
            project.cleanup();
        }
    });

    it("after the CLI is killed in the middle of up with checkpoints skipped, the next up finishes without duplicates", async () => {
        const users = [ALICE, BOB];
        const specs: ResourceSpec[] = users.flatMap((user, u) =>
            Array.from({ length: PER_USER }, (_, i) => ({
                kind: "Mailbox" as const,
                name: `u${u}-f${i}`,
                args: { user, name: `Killed/F${i}`, subscribed: i % 3 !== 0 },
            })),
        );
        // The program talks to the server through a proxy, which decides when the CLI dies by what it
        // sees: create request number KILLED_AT is held there (never sent) and the CLI is killed when
        // it arrives; the requests sent before it run to their end on the server.
        const proxy = await startFaultProxy({ target: sandbox.endpoint });
        const project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "killed",
            resources: specs,
        });
        try {
            const atKill = deferred<void>();
            const afterKill = deferred<"drop">();
            proxy.setRules([
                {
                    command: "mailboxCreate",
                    skip: KILLED_AT - 1,
                    times: 1,
                    action: { kind: "hold", until: afterKill.promise, arrived: () => atKill.resolve() },
                },
            ]);
            const killed = await project.upKilledAt(atKill.promise, {
                env: { PULUMI_SKIP_CHECKPOINTS: "true" },
            });
            afterKill.resolve("drop");
            expect(killed).toBe(true);
            await proxy.idle();
            const before = await guids(sandbox, ALICE, "Killed/");
            const bobs = await guids(sandbox, BOB, "Killed/");
            // Folders were made (every create sent before the kill carried at least one)...
            expect(before.size + bobs.size).toBeGreaterThanOrEqual(1);
            expect(before.size).toBeLessThan(PER_USER);
            expect(bobs.size).toBeLessThan(PER_USER);
            // ...and nothing was written to the state.
            expect(await project.stateResources()).toEqual([]);
            // As after any killed run: the stack's lock stays until `pulumi cancel` removes it.
            await project.pulumi(["cancel", "--yes", "--stack", project.stack]);

            const up = await project.up({ allowFailure: true });
            expect(up.output).not.toMatch(/already exists/);
            if (up.code !== 0) throw new Error(`the up after the kill failed:\n${up.output.slice(-3000)}`);
            const after = await guids(sandbox, ALICE, "Killed/");
            expect(after.size).toBe(PER_USER);
            for (const [name, guid] of before) expect(after.get(name)).toBe(guid);
            const bobsAfter = await guids(sandbox, BOB, "Killed/");
            expect(bobsAfter.size).toBe(PER_USER);
            for (const [name, guid] of bobs) expect(bobsAfter.get(name)).toBe(guid);
            const state = await project.stateResources();
            expect(state).toHaveLength(2 * PER_USER);
            for (const resource of state) {
                const user = resource.outputs?.user as string;
                const name = resource.outputs?.name as string;
                expect(resource.id).toBe((await sandbox.status(user, name))?.guid);
            }
            const subscribed = (await sandbox.listSubscriptions(ALICE)).filter((n) =>
                n.startsWith("Killed/"),
            );
            expect(subscribed).toHaveLength(
                specs.filter((s) => s.args.user === ALICE && s.args.subscribed).length,
            );
            expect(changedSteps(await project.preview())).toEqual([]);
            await project.destroy();
            for (const user of users) expect(await guids(sandbox, user, "Killed/")).toEqual(new Map());
        } finally {
            project.cleanup();
            await proxy.close();
        }
    });
});
