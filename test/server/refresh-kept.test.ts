// What a refresh tells the engine about a resource's inputs, through the handlers' life cycle
// in-process: a read that finds exactly what was recorded returns no inputs, so the engine keeps the
// recorded ones as they are (a Mailbox's and a FolderSet's hold the `creator` that a Mailbox's outputs
// do not) and has nothing to write for it; a read that finds a change returns the inputs that change
// stands for. The engine writes the whole state again for each resource whose inputs a refresh
// changed, so this is what keeps a drift check of a large stack from growing with the square of its
// size (bench/RESULTS.md). The server is changed and checked with doveadm.
import { ALICE } from "../harness/accounts";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { call, configureFor } from "../harness/providers";
import { dovecotForSuite } from "../harness/suite";

jest.setTimeout(120_000);

const program: Declared[] = [
    { kind: "Mailbox", name: "kept-mailbox", args: { user: ALICE, name: "Kept/Mailbox" } },
    {
        kind: "FolderSet",
        name: "kept-set",
        args: { user: ALICE, folders: [{ name: "Kept/A" }, { name: "Kept/B", subscribed: false }] },
    },
    { kind: "Subscription", name: "kept-subscription", args: { user: ALICE, mailbox: "Kept/Lists" } },
    { kind: "Reload", name: "kept-reload", args: { triggers: ["sha256:one"] } },
];

describe("refresh keeps the recorded inputs of what did not change", () => {
    const sandbox = dovecotForSuite({ users: ["alice"] });
    let stack: LifeCycle;

    beforeAll(async () => {
        stack = new LifeCycle({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
        await applied(stack.up(program));
    });

    it("a read that finds what was recorded returns no inputs, for every kind; refresh leaves the state as it was", async () => {
        const before = structuredClone([...stack.state.values()]);
        expect(before.map((r) => r.name)).toEqual(program.map((d) => d.name));
        // What inputs rebuilt from the outputs would lose: the Mailbox's outputs do not carry it.
        expect(stack.state.get("kept-mailbox")?.inputs.creator).toEqual(expect.any(String));
        expect(stack.state.get("kept-mailbox")?.outputs.creator).toBeUndefined();
        for (const recorded of before) {
            const read = await call(recorded.kind, "read", recorded.id, recorded.outputs);
            expect({ name: recorded.name, id: read.id, props: read.props, inputs: read.inputs }).toEqual({
                name: recorded.name,
                id: recorded.id,
                props: recorded.outputs,
                inputs: undefined,
            });
        }
        await applied(stack.refresh());
        expect([...stack.state.values()]).toEqual(before);
        expect(await stack.changes(program)).toEqual([]);
    });

    it("a read that finds a change returns the inputs it stands for, with the recorded creator", async () => {
        await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Kept/A"]);
        await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Kept/Mailbox", "Kept/Moved"]);
        const set = stack.state.get("kept-set")!;
        const mailbox = stack.state.get("kept-mailbox")!;
        await configureFor(sandbox); // a new provider process: no snapshot of the user from before

        const setRead = await call("FolderSet", "read", set.id, set.outputs);
        expect(setRead.inputs).toEqual({
            ...set.inputs,
            folders: [
                { name: "Kept/A", subscribed: false },
                { name: "Kept/B", subscribed: false },
            ],
        });
        const mailboxRead = await call("Mailbox", "read", mailbox.id, mailbox.outputs);
        expect(mailboxRead.inputs).toMatchObject({ name: "Kept/Moved", user: ALICE });

        await applied(stack.refresh());
        expect((await stack.changes(program)).sort()).toEqual(["update kept-mailbox", "update kept-set"]);
        await applied(stack.up(program));
        expect(await sandbox.listMailboxes(ALICE)).toEqual([
            "INBOX",
            "Kept",
            "Kept/A",
            "Kept/B",
            "Kept/Mailbox",
        ]);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual(["Kept/A", "Kept/Lists", "Kept/Mailbox"]);
        expect(await stack.changes(program)).toEqual([]);
    });
});
