// The request budget of one Mailbox per folder through the real CLI, counted by a proxy in front of
// the server, which sees every request before the command that sent it ends (counts, not times: the
// times live in `npm run bench`; the server's access log is written a moment after each answer, so
// counts read from it right after a command could miss its last requests). At most 1.2 requests per mailbox
// for `up` and for `destroy`, and one per user for `refresh`: a change that brings back a look or a
// read-back per mailbox fails here.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, ResourceSpec } from "../harness/pulumi";

jest.setTimeout(600_000);

const USERS = 5;
const PER_USER = 20;

describe("requests per mailbox through pulumi", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let project: PulumiProject;
    const requests = () => proxy.count("*");

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
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "request-counts",
            resources: specs,
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await proxy?.close();
        await sandbox?.stop();
    });

    it("up, refresh and destroy stay within 1.2 per mailbox, 1 per user, 1.2 per mailbox", async () => {
        const mailboxes = USERS * PER_USER;
        let before = requests();
        await project.up();
        const up = requests() - before;
        for (const user of sandbox.users) {
            const names = (await sandbox.listMailboxes(user.name)).filter((n) => n.startsWith("Count/"));
            expect(names).toHaveLength(PER_USER);
        }

        before = requests();
        await project.refresh();
        const refresh = requests() - before;

        before = requests();
        await project.destroy();
        const destroy = requests() - before;
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
