// Creates cut off by a full mail disk converge once there is room again, on 2.3 and 2.4, through the
// handlers' life cycle in-process (which records a failed create as the engine does): the user's home is a small file system, filled up before `pulumi up`; the creates fail (the
// server answers 75 and leaves half-made folders: empty, with GUIDs of its own), the resources are
// recorded as pending; after the disk is freed, the next `up` takes those empty folders back (nothing
// can be lost) and makes the rest: every declared folder exactly once, the state and the server in
// agreement, nothing left to do. For a Mailbox per folder and for a FolderSet. And a FolderSet whose
// state was lost takes back its own folders by their GUIDs, as a Mailbox does.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { SmallDisk, mountSmallDisk } from "../harness/small-disk";
import { ALICE, BOB } from "../harness/accounts";

jest.setTimeout(300_000);

describe("a full mail disk during up", () => {
    let sandbox: Sandbox;
    let disk: SmallDisk;
    let stack: LifeCycle;
    const mine = async (prefix: string) =>
        (await sandbox.mailboxes(ALICE)).filter((m) => m.name.startsWith(prefix));

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        disk = await mountSmallDisk(sandbox, "alice", { kind: "tmpfs", sizeMiB: 4 });
        // Alice's mail is made on the small disk while there is room; bob's is elsewhere, untouched.
        await sandbox.doveadm(["mailbox", "status", "-u", ALICE, "messages", "INBOX"]);
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "Canary"]);
        await sandbox.deliver(BOB, "Canary", 2);
        stack = new LifeCycle(
            { "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey },
            "full-disk",
        );
    });
    afterAll(async () => {
        disk?.free();
        await disk?.unmount({ stopServer: true });
        await sandbox?.stop();
    });

    it.each([
        [
            "one Mailbox per folder",
            "Full/M",
            Array.from({ length: 12 }, (_, i): Declared => ({
                kind: "mailbox",
                name: `m${i}`,
                args: { user: ALICE, name: `Full/M${String(i).padStart(2, "0")}`, subscribed: i % 2 === 0 },
            })),
        ],
        [
            "a FolderSet",
            "Full/S",
            [
                {
                    kind: "folders",
                    name: "set",
                    args: {
                        user: ALICE,
                        folders: Array.from({ length: 12 }, (_, i) => ({
                            name: `Full/S${String(i).padStart(2, "0")}`,
                        })),
                    },
                },
            ] as Declared[],
        ],
    ])("%s: fails while full, converges after the disk is freed", async (_what, prefix, specs) => {
        const declared = specs.flatMap((s) =>
            s.kind === "folders"
                ? (s.args.folders as Array<{ name: string }>).map((f) => f.name)
                : [String(s.args.name)],
        );
        disk.fill();
        const failed = await stack.up(specs);
        expect(String(failed.error?.message)).toMatch(/temporary failure \(exit 75\)/);
        disk.free();

        const again = await stack.up(specs);
        expect(String(again.error?.message)).not.toMatch(/already exists/);
        expect(again.error).toBeUndefined();
        // Every declared folder, exactly once; none besides; the state holds each by the GUID it has.
        const folders = await mine(prefix);
        expect(folders.map((f) => f.name).sort()).toEqual([...declared].sort());
        const guids = new Map(folders.map((f) => [f.name, f.guid]));
        for (const resource of stack.state.values()) {
            const outputs = resource.outputs ?? {};
            if (Array.isArray(outputs.mailboxes)) {
                for (const m of outputs.mailboxes as Array<{ name: string; guid: string }>)
                    expect(m.guid).toBe(guids.get(m.name));
            } else expect(outputs.guid).toBe(guids.get(String(outputs.name)));
        }
        await applied(stack.refresh());
        expect(await stack.changes(specs)).toEqual([]);
        // Nobody else's mail was touched.
        expect(await sandbox.status(BOB, "Canary")).toMatchObject({ messages: 2 });
        await applied(stack.up([]));
        expect(await mine(prefix)).toEqual([]);
    });
});

describe("a FolderSet whose state was lost", () => {
    let sandbox: Sandbox;
    let stack: LifeCycle;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        stack = new LifeCycle(
            { "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey },
            "folderset-lost",
        );
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("takes back its own folders by their GUIDs, without adopt, and still refuses anyone else's", async () => {
        const folders = ["Lost/A", "Lost/B", "Lost/C"].map((name) => ({ name }));
        const program: Declared[] = [{ kind: "folders", name: "set", args: { user: ALICE, folders } }];
        await applied(stack.up(program));
        const before = await sandbox.mailboxes(ALICE);
        await sandbox.deliver(ALICE, "Lost/B", 1);
        stack.state.clear(); // the state is lost

        // Someone else's folder under a name the set now declares too: still refused.
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Lost/D"]);
        const refused = await stack.up([
            {
                kind: "folders",
                name: "set",
                args: { user: ALICE, folders: [...folders, { name: "Lost/D" }] },
            },
        ]);
        // Refused for that one alone.
        expect(String(refused.error?.message)).toMatch(
            /nothing was changed: "Lost\/D" already exists and this set did not create it \(set adopt: true to take it over with its messages\)\. Correct/,
        );
        // Without it, the set takes its own three back as they are, messages and GUIDs.
        await applied(stack.up(program));
        const after = await sandbox.mailboxes(ALICE);
        for (const name of ["Lost/A", "Lost/B", "Lost/C"])
            expect(after.find((m) => m.name === name)?.guid).toBe(before.find((m) => m.name === name)?.guid);
        expect(after.find((m) => m.name === "Lost/B")?.messages).toBe(1);
        const recorded = stack.outputs("set")?.mailboxes as Array<{ name: string }>;
        expect(recorded.map((m) => m.name).sort()).toEqual(["Lost/A", "Lost/B", "Lost/C"]);
        expect(await stack.changes(program)).toEqual([]);
    });
});
