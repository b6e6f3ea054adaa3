// Changing only how a user is spelled (`alice@example.org` to `Alice@Example.org`), which the server's
// user database resolves to the same account, deletes nothing: the resources are updated in place,
// even with forceDestroy set, instead of being replaced (which would expunge the folder's mail and
// create it empty). A real change of user still replaces.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";

jest.setTimeout(240_000);

const resources = (user: string): ResourceSpec[] => [
    { kind: "Mailbox", name: "box", args: { user, name: "Kept", forceDestroy: true } },
    { kind: "FolderSet", name: "set", args: { user, folders: [{ name: "SetKept" }], forceDestroy: true } },
    { kind: "Subscription", name: "sub", args: { user, mailbox: "Shared/Team" } },
];

describe("a new spelling of the same user through the pulumi CLI", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        project = await PulumiProject.create({
            server: sandbox,
            name: "user-spelling",
            resources: resources("alice@example.org"),
        });
        await project.up();
        await sandbox.deliver("alice@example.org", "Kept", 2);
        await sandbox.deliver("alice@example.org", "SetKept", 1);
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("updates in place and keeps every message", async () => {
        const before = {
            kept: await sandbox.status("alice@example.org", "Kept"),
            set: await sandbox.status("alice@example.org", "SetKept"),
        };
        project.setResources(resources("Alice@Example.org"));
        const preview = await project.preview();
        expect(changedSteps(preview).sort()).toEqual(["update box", "update set", "update sub"]);
        await project.up();
        expect(await sandbox.status("alice@example.org", "Kept")).toEqual(before.kept);
        expect(await sandbox.status("alice@example.org", "SetKept")).toEqual(before.set);
        expect(await sandbox.listSubscriptions("alice@example.org")).toEqual(
            expect.arrayContaining(["Kept", "SetKept", "Shared/Team"]),
        );
        expect((await project.stateResource("box"))?.outputs?.user).toBe("Alice@Example.org");
        expect(changedSteps(await project.preview({ refresh: true }))).toEqual([]);
    });

    it("still replaces on a real change of user", async () => {
        project.setResources(resources("bob@example.org"));
        const preview = await project.preview();
        expect(
            changedSteps(preview)
                .filter((s) => s.startsWith("replace"))
                .sort(),
        ).toEqual(["replace box", "replace set", "replace sub"]);
    });
});
