// Two writers declaring the same folder of the same user at the same time: one makes it, the other is
// refused and says that another owner exists. The GUID each records is one it read back from the
// server, and the loser's refused create never rewrites the winner's GUID (Dovecot 2.3 would, if the
// create carried one), so the winner keeps managing its folder.
import { creatorOf, ownedBy } from "../../provider/ownership";
import { Sandbox, dovecotVersion, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { checkAndCreate, configure, rejection } from "../harness/providers";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";

describe("another writer makes the folder between the look and the create", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
    afterAll(async () => {
        await proxy.close();
        await sandbox.stop();
    });

    /** Makes the next create meet `name` made (with a message) by another writer just before it. */
    const anotherWriterBeforeCreate = (name: string) => {
        const other: { guid?: string } = {};
        proxy.setRules([
            {
                command: "mailboxCreate",
                times: 1,
                action: {
                    kind: "before",
                    run: async () => {
                        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, name]);
                        await sandbox.deliver(ALICE, name, 1);
                        other.guid = (await sandbox.status(ALICE, name))?.guid;
                    },
                },
            },
        ]);
        return other;
    };

    it.each([["Mailbox"], ["FolderSet"]])(
        "a %s is refused, names the other owner, and leaves the other's GUID alone",
        async (kind) => {
            const name = `Race/${kind}`;
            const other = anotherWriterBeforeCreate(name);
            const error = await rejection(
                kind === "Mailbox"
                    ? checkAndCreate("mailbox", { user: ALICE, name })
                    : checkAndCreate("folders", { user: ALICE, folders: [{ name }] }),
            );
            expect(other.guid).toMatch(/^[0-9a-f]{32}$/);
            expect(error?.message).toMatch(/another stack|someone else/);
            expect(error.message).toMatch(/adopt: true/);
            // The create was sent (and refused), and did not touch the other writer's mailbox.
            expect(proxy.count("mailboxCreate")).toBeGreaterThanOrEqual(1);
            expect(await sandbox.status(ALICE, name)).toEqual({ guid: other.guid, messages: 1 });
            // A FolderSet records nothing it did not make.
            if (kind === "FolderSet") expect(error.properties?.mailboxes ?? []).toEqual([]);
            proxy.reset();
        },
    );

    it("a Mailbox whose create carries a GUID is refused with the adopt advice, and the other writer's mailbox keeps its own GUID", async () => {
        const name = "Race/Tagged";
        const creator = creatorOf("Mailbox", "race", "test", "tagged");
        const other = anotherWriterBeforeCreate(name);
        const error = await rejection(checkAndCreate("mailbox", { user: ALICE, name, creator }));
        expect(other.guid).toMatch(/^[0-9a-f]{32}$/);
        expect(error?.message).toMatch(/adopt: true/);
        expect(error.message).toContain(`"${name}"`);
        const now = await sandbox.status(ALICE, name);
        expect(now?.messages).toBe(1);
        // Whatever the server did with the GUID the create carried, the mailbox is not taken for
        // this resource's: a second create is refused as well, and the messages stay.
        if (ownedBy(creator, ALICE, now?.guid ?? "")) throw new Error(`still tagged: ${error.message}`);
        // 2.3 wrote the create's GUID into it, and pulumi-dovecot put the other writer's back.
        if (dovecotVersion() === "2.3") expect(error.message).toMatch(/same moment[\s\S]*put its own GUID/);
        expect(now?.guid).toBe(other.guid);
        const again = await rejection(checkAndCreate("mailbox", { user: ALICE, name, creator }));
        expect(again?.message).toMatch(/this stack did not create it/);
        expect((await sandbox.status(ALICE, name))?.messages).toBe(1);
    });
});

describe("two stacks run pulumi up on the same folder at the same time", () => {
    let sandbox: Sandbox;
    const projects: PulumiProject[] = [];

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        for (const name of ["writer-a", "writer-b"]) {
            projects.push(await PulumiProject.create({ server: sandbox, name }));
        }
    });
    afterAll(async () => {
        for (const project of projects) project.cleanup();
        await sandbox?.stop();
    });

    it("exactly one owns it; its state has the GUID the server has; the other says who is in the way", async () => {
        for (const round of [1, 2, 3]) {
            const folder = `Both/${round}`;
            const spec: ResourceSpec = {
                kind: "Mailbox",
                name: "shared",
                args: { user: ALICE, name: folder },
            };
            for (const project of projects) project.setResources([spec]);
            const results = await Promise.all(projects.map((p) => p.up({ allowFailure: true })));
            const guid = (await sandbox.status(ALICE, folder))?.guid;
            expect(guid).toMatch(/^[0-9a-f]{32}$/);
            const owners: PulumiProject[] = [];
            for (const [i, project] of projects.entries()) {
                const recorded = await project.stateResource("shared");
                if (results[i]?.code === 0) {
                    owners.push(project);
                    expect(recorded?.id).toBe(guid);
                    expect(recorded?.outputs?.guid).toBe(guid);
                } else {
                    // On 2.3 the loser may meet the winner's folder inside its own create's request; its
                    // GUID is then put back (the winner's state still matches the server, above).
                    expect(results[i]?.output).toMatch(
                        /already exists, and this stack did not create it|same moment[\s\S]*put its own GUID/,
                    );
                    expect(recorded).toBeUndefined();
                }
            }
            expect(owners).toHaveLength(1);
            // The owner still finds its folder on refresh; the state and the server agree.
            const owner = owners[0] as PulumiProject;
            expect((await owner.refresh({ allowFailure: true })).code).toBe(0);
            expect((await owner.stateResource("shared"))?.outputs?.guid).toBe(guid);
            // Clear both for the next round (the owner deletes its folder; the other has nothing).
            for (const project of projects) project.setResources([]);
            for (const project of projects) await project.up();
            expect(await sandbox.status(ALICE, folder)).toBeUndefined();
        }
    });
});
