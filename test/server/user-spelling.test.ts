// Changing only how a user is spelled (`alice@example.org` to `Alice@Example.org`), which the server's
// user database resolves to the same account, deletes nothing: the resources are updated in place,
// even with forceDestroy set, instead of being replaced (which would expunge the folder's mail and
// create it empty). A real change of user still replaces. Through the handlers' life cycle in-process.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";

jest.setTimeout(120_000);

const resources = (user: string): Declared[] => [
    { kind: "mailbox", name: "box", args: { user, name: "Kept", forceDestroy: true } },
    { kind: "folders", name: "set", args: { user, folders: [{ name: "SetKept" }], forceDestroy: true } },
    { kind: "subscription", name: "sub", args: { user, mailbox: "Shared/Team" } },
];

describe("a new spelling of the same user", () => {
    let sandbox: Sandbox;
    let stack: LifeCycle;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        stack = new LifeCycle({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
        await applied(stack.up(resources("alice@example.org")));
        await sandbox.deliver("alice@example.org", "Kept", 2);
        await sandbox.deliver("alice@example.org", "SetKept", 1);
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("updates in place and keeps every message", async () => {
        const before = {
            kept: await sandbox.status("alice@example.org", "Kept"),
            set: await sandbox.status("alice@example.org", "SetKept"),
        };
        const program = resources("Alice@Example.org");
        expect((await stack.changes(program)).sort()).toEqual(["update box", "update set", "update sub"]);
        await applied(stack.up(program));
        expect(await sandbox.status("alice@example.org", "Kept")).toEqual(before.kept);
        expect(await sandbox.status("alice@example.org", "SetKept")).toEqual(before.set);
        expect(await sandbox.listSubscriptions("alice@example.org")).toEqual(
            expect.arrayContaining(["Kept", "SetKept", "Shared/Team"]),
        );
        expect(stack.outputs("box")?.user).toBe("Alice@Example.org");
        await applied(stack.refresh());
        expect(await stack.changes(program)).toEqual([]);
    });

    it("still replaces on a real change of user", async () => {
        const changes = await stack.changes(resources("bob@example.org"));
        expect(changes.filter((s) => s.startsWith("replace")).sort()).toEqual([
            "replace box",
            "replace set",
            "replace sub",
        ]);
    });
});
