// The request budget of one Mailbox per folder through the real CLI, counted in the server's own
// access log (counts, not times: the times live in `npm run bench`). At most 1.2 requests per mailbox
// for `up` and for `destroy`, and one per user for `refresh`: a change that brings back a look or a
// read-back per mailbox fails here.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

jest.setTimeout(600_000);

const USERS = 5;
const PER_USER = 20;

describe("requests per mailbox through pulumi", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    const requests = async () => {
        // The access line is written a moment after the answer.
        await new Promise((resolve) => setTimeout(resolve, 300));
        return (sandbox.log().match(/"(POST|GET) \/doveadm\/v1 HTTP/g) ?? []).length;
    };

    beforeAll(async () => {
        const locals = Array.from({ length: USERS }, (_, i) => `user${i}`);
        sandbox = await startDovecot({ users: locals });
        const specs: ResourceSpec[] = sandbox.users.flatMap((user, u) =>
            Array.from({ length: PER_USER }, (_, i) => ({
                kind: "Mailbox" as const,
                name: `u${u}-f${i}`,
                args: { user: user.name, name: `Count/F${i}`, subscribed: i % 2 === 0 },
            })),
        );
        project = await PulumiProject.create({ server: sandbox, name: "request-counts", resources: specs });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("up, refresh and destroy stay within 1.2 per mailbox, 1 per user, 1.2 per mailbox", async () => {
        const mailboxes = USERS * PER_USER;
        let before = await requests();
        await project.up();
        const up = (await requests()) - before;
        for (const user of sandbox.users) {
            const names = (await sandbox.listMailboxes(user.name)).filter((n) => n.startsWith("Count/"));
            expect(names).toHaveLength(PER_USER);
        }

        before = await requests();
        await project.refresh();
        const refresh = (await requests()) - before;

        before = await requests();
        await project.destroy();
        const destroy = (await requests()) - before;
        for (const user of sandbox.users) expect(await sandbox.listMailboxes(user.name)).toEqual(["INBOX"]);

        const counts = { up, refresh, destroy };
        console.log(`requests: ${JSON.stringify(counts)} for ${mailboxes} mailboxes of ${USERS} users`);
        expect(counts.up).toBeLessThanOrEqual(1.2 * mailboxes);
        expect(counts.refresh).toBeLessThanOrEqual(USERS);
        expect(counts.destroy).toBeLessThanOrEqual(1.2 * mailboxes);
        // Each mailbox needs at least its own create and delete: fewer would mean the count is wrong.
        expect(counts.up).toBeGreaterThanOrEqual(USERS);
        expect(counts.destroy).toBeGreaterThanOrEqual(USERS);
    });
});
