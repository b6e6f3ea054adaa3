// Creates cut off by a full mail disk converge once there is room again, through the real CLI on 2.3
// and 2.4: the user's home is a small file system, filled up before `pulumi up`; the creates fail (the
// server answers 75 and leaves half-made folders: empty, with GUIDs of its own), the resources are
// recorded as pending; after the disk is freed, the next `up` takes those empty folders back (nothing
// can be lost) and makes the rest: every declared folder exactly once, the state and the server in
// agreement, nothing left to do. For a Mailbox per folder and for a FolderSet. And a FolderSet whose
// state was lost takes back its own folders by their GUIDs, as a Mailbox does.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";
import { SmallDisk, mountSmallDisk } from "../harness/small-disk";

jest.setTimeout(600_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

describe("a full mail disk during pulumi up", () => {
    let sandbox: Sandbox;
    let disk: SmallDisk;
    let project: PulumiProject;
    const mine = async (prefix: string) =>
        (await sandbox.mailboxes(ALICE)).filter((m) => m.name.startsWith(prefix));

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        disk = await mountSmallDisk(sandbox, "alice", { kind: "tmpfs", sizeMiB: 4 });
        // Alice's mail is made on the small disk while there is room; bob's is elsewhere, untouched.
        await sandbox.doveadm(["mailbox", "status", "-u", ALICE, "messages", "INBOX"]);
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "Canary"]);
        await sandbox.deliver(BOB, "Canary", 2);
        project = await PulumiProject.create({ server: sandbox, name: "full-disk" });
    });
    afterAll(async () => {
        disk?.free();
        project?.cleanup();
        await disk?.unmount({ stopServer: true });
        await sandbox?.stop();
    });

    it.each([
        [
            "one Mailbox per folder",
            "Full/M",
            Array.from({ length: 12 }, (_, i): ResourceSpec => ({
                kind: "Mailbox",
                name: `m${i}`,
                args: { user: ALICE, name: `Full/M${String(i).padStart(2, "0")}`, subscribed: i % 2 === 0 },
            })),
        ],
        [
            "a FolderSet",
            "Full/S",
            [
                {
                    kind: "FolderSet",
                    name: "set",
                    args: {
                        user: ALICE,
                        folders: Array.from({ length: 12 }, (_, i) => ({
                            name: `Full/S${String(i).padStart(2, "0")}`,
                        })),
                    },
                },
            ] as ResourceSpec[],
        ],
    ])("%s: fails while full, converges after the disk is freed", async (_what, prefix, specs) => {
        const declared = specs.flatMap((s) =>
            s.kind === "FolderSet"
                ? (s.args.folders as Array<{ name: string }>).map((f) => f.name)
                : [String(s.args.name)],
        );
        project.setResources(specs);
        disk.fill();
        const failed = await project.up({ allowFailure: true, timeoutMs: 240_000 });
        expect(failed.code).not.toBe(0);
        expect(failed.output).toMatch(/temporary failure \(exit 75\)/);
        disk.free();

        const again = await project.up({ allowFailure: true, timeoutMs: 240_000 });
        expect(again.output).not.toMatch(/already exists/);
        expect(again.code).toBe(0);
        // Every declared folder, exactly once; none besides; the state holds each by the GUID it has.
        const folders = await mine(prefix);
        expect(folders.map((f) => f.name).sort()).toEqual([...declared].sort());
        const guids = new Map(folders.map((f) => [f.name, f.guid]));
        for (const resource of await project.stateResources()) {
            const outputs = resource.outputs ?? {};
            if (Array.isArray(outputs.mailboxes)) {
                for (const m of outputs.mailboxes as Array<{ name: string; guid: string }>)
                    expect(m.guid).toBe(guids.get(m.name));
            } else expect(outputs.guid).toBe(guids.get(String(outputs.name)));
        }
        expect(changedSteps(await project.preview({ refresh: true }))).toEqual([]);
        // Nobody else's mail was touched.
        expect(await sandbox.status(BOB, "Canary")).toMatchObject({ messages: 2 });
        project.setResources([]);
        await project.up();
        expect(await mine(prefix)).toEqual([]);
    });
});

describe("a FolderSet whose state was lost", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        project = await PulumiProject.create({ server: sandbox, name: "folderset-lost" });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("takes back its own folders by their GUIDs, without adopt, and still refuses anyone else's", async () => {
        const folders = ["Lost/A", "Lost/B", "Lost/C"].map((name) => ({ name }));
        project.setResources([{ kind: "FolderSet", name: "set", args: { user: ALICE, folders } }]);
        await project.up();
        const before = await sandbox.mailboxes(ALICE);
        await sandbox.deliver(ALICE, "Lost/B", 1);
        await project.forgetResources();
        expect(await project.stateResources()).toEqual([]);
        // Someone else's folder under a name the set now declares too: still refused.
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Lost/D"]);
        project.setResources([
            {
                kind: "FolderSet",
                name: "set",
                args: { user: ALICE, folders: [...folders, { name: "Lost/D" }] },
            },
        ]);
        const refused = await project.up({ allowFailure: true });
        expect(refused.code).not.toBe(0);
        // Refused for that one alone.
        expect(refused.output).toMatch(
            /nothing was changed: "Lost\/D" already exists and this set did not create it \(set adopt: true to take it over with its messages\)\. Correct/,
        );
        // Without it, the set takes its own three back as they are, messages and GUIDs.
        project.setResources([{ kind: "FolderSet", name: "set", args: { user: ALICE, folders } }]);
        await project.up();
        const after = await sandbox.mailboxes(ALICE);
        for (const name of ["Lost/A", "Lost/B", "Lost/C"])
            expect(after.find((m) => m.name === name)?.guid).toBe(before.find((m) => m.name === name)?.guid);
        expect(after.find((m) => m.name === "Lost/B")?.messages).toBe(1);
        const recorded = (await project.stateResource("set"))?.outputs?.mailboxes as Array<{ name: string }>;
        expect(recorded.map((m) => m.name).sort()).toEqual(["Lost/A", "Lost/B", "Lost/C"]);
        expect(changedSteps(await project.preview())).toEqual([]);
    });
});
