// The request budget of a fleet of FolderSets (one per user), counted by a proxy in front of the
// server (counts, not times: the times live in `npm run bench`). Each handler call is made the way
// the engine makes it, every user's at once. Per user: `up` looks once, then sends the creates with
// their subscriptions and the read-back of the new folders in one request; the drift check (refresh)
// reads once; adding one (subscribed) folder costs the same two as `up`; `destroy` looks
// once and sends one request (the deletes and the unsubscribes). The transport may join several
// users' turns into one HTTP request, so a fleet's counts are at most these.
import { creatorOf } from "../../provider/ownership";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { Loose, call, configure } from "../harness/providers";

jest.setTimeout(300_000);

const USERS = 10;
const PER_USER = 20;

/** A user's declared folders: PER_USER of them, every other one subscribed, and `extra` more. */
function folders(extra = 0) {
    return Array.from({ length: PER_USER + extra }, (_, i) => ({
        name: `Count/F${i}`,
        subscribed: i % 2 === 0,
    }));
}

describe("requests of a fleet of FolderSets", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let users: string[];
    const requests = () => proxy.count("*");

    beforeAll(async () => {
        sandbox = await startDovecot({ users: Array.from({ length: USERS }, (_, i) => `user${i}`) });
        users = sandbox.users.map((u) => u.name);
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
        // The profile (GET /doveadm/v1) is asked once per process: not part of any user's budget.
        await call("folders", "check", {}, { user: users[0], folders: [] });
    });
    afterAll(async () => {
        await proxy?.close();
        await sandbox?.stop();
    });

    /** check() then `method` for every user at once, as the engine runs a step per resource. */
    async function applyAll(method: "create" | "update", records: Loose[], extra: number): Promise<Loose[]> {
        return Promise.all(
            users.map(async (user, u) => {
                const news = {
                    user,
                    folders: folders(extra),
                    creator: creatorOf("FolderSet", "counts", "test", `u${u}`),
                };
                const checked = await call("folders", "check", records[u]?.outs ?? {}, news);
                expect(checked.failures).toBeUndefined();
                if (method === "create") return call("folders", "create", checked.inputs);
                const { id, outs } = records[u];
                const { outs: next } = await call("folders", "update", id, outs, checked.inputs);
                return { id, outs: next };
            }),
        );
    }

    /** Runs `body` and returns the requests the proxy saw meanwhile. */
    async function counted(body: () => Promise<unknown>): Promise<number> {
        const before = requests();
        await body();
        if (process.env.SHOW_REQUESTS)
            console.log(proxy.requests.slice(before).map((r) => `${r.method} ${r.commands.join("+")}`));
        return requests() - before;
    }

    it("one user: up 3, drift check 1, one more folder 3, destroy 2", async () => {
        const user = users[0] as string;
        const creator = creatorOf("FolderSet", "counts", "test", "alone");
        const declare = async (olds: Loose, extra: number) => {
            const checked = await call("folders", "check", olds, { user, folders: folders(extra), creator });
            expect(checked.failures).toBeUndefined();
            return checked.inputs;
        };
        let created: Loose;
        const up = await counted(async () => {
            created = await call("folders", "create", await declare({}, 0));
        });
        const { id } = created;
        let outs = created.outs;
        const drift = await counted(async () => {
            const read = await call("folders", "read", id, outs);
            expect(
                (await call("folders", "diff", id, read.props, await declare(read.props, 0))).changes,
            ).toBe(false);
        });
        const addOne = await counted(async () => {
            outs = (await call("folders", "update", id, outs, await declare(outs, 1))).outs;
        });
        expect(outs.mailboxes).toHaveLength(PER_USER + 1);
        expect((await sandbox.listSubscriptions(user)).sort()).toEqual(
            folders(1)
                .filter((f) => f.subscribed)
                .map((f) => f.name)
                .sort(),
        );
        const destroy = await counted(() => call("folders", "delete", id, outs));
        expect(await sandbox.listMailboxes(user)).toEqual(["INBOX"]);
        expect(await sandbox.listSubscriptions(user)).toEqual([]);
        expect({ up, drift, addOne, destroy }).toEqual({ up: 2, drift: 1, addOne: 2, destroy: 2 });
    });

    it("one user renaming 10 of 20 folders: the look, the renames in one request, the old names' unsubscribes in one", async () => {
        const user = users[1] as string;
        const creator = creatorOf("FolderSet", "counts", "test", "renames");
        const declare = async (olds: Loose, renamed: boolean) => {
            const declared = folders(0).map((f, i) =>
                renamed && i < 10 ? { ...f, name: `Count/R${i}`, renamedFrom: f.name } : f,
            );
            const checked = await call("folders", "check", olds, { user, folders: declared, creator });
            expect(checked.failures).toBeUndefined();
            return checked.inputs;
        };
        const created = await call("folders", "create", await declare({}, false));
        const guids = new Map<string, string>();
        for (const f of created.outs.mailboxes as Array<{ name: string; guid: string }>)
            guids.set(f.name, f.guid);
        let outs: Loose = created.outs;
        const renames = await counted(async () => {
            outs = (await call("folders", "update", created.id, outs, await declare(outs, true))).outs;
        });
        // Each renamed folder is the same folder (its GUID) under its new name, subscribed as declared.
        for (let i = 0; i < 10; i++) {
            expect((await sandbox.status(user, `Count/R${i}`))?.guid).toBe(guids.get(`Count/F${i}`));
            expect(await sandbox.status(user, `Count/F${i}`)).toBeUndefined();
        }
        expect((await sandbox.listSubscriptions(user)).sort()).toEqual(
            folders(0)
                .map((f, i) => ({ ...f, name: i < 10 ? `Count/R${i}` : f.name }))
                .filter((f) => f.subscribed)
                .map((f) => f.name)
                .sort(),
        );
        // The look; the 10 renames; the 5 old names' unsubscribes; the 5 new names' subscribes.
        expect(renames).toBe(4);
        await call("folders", "delete", created.id, outs);
        expect(await sandbox.listMailboxes(user)).toEqual(["INBOX"]);
    });

    it(`${USERS} users at once: at most 2, 1, 2 and 2 requests per user`, async () => {
        let records: Loose[] = [];
        const up = await counted(async () => {
            records = await applyAll("create", [], 0);
        });
        for (const user of users) {
            const names = (await sandbox.listMailboxes(user)).filter((n) => n.startsWith("Count/"));
            expect(names).toHaveLength(PER_USER);
        }

        const drift = await counted(async () => {
            const reads = await Promise.all(records.map((r) => call("folders", "read", r.id, r.outs)));
            for (const [u, read] of reads.entries()) {
                const checked = await call("folders", "check", read.props, {
                    user: users[u],
                    folders: folders(0),
                    creator: records[u].outs.creator,
                });
                expect((await call("folders", "diff", read.id, read.props, checked.inputs)).changes).toBe(
                    false,
                );
            }
        });

        const addOne = await counted(async () => {
            records = await applyAll("update", records, 1);
        });
        for (const user of users) {
            const names = (await sandbox.listMailboxes(user)).filter((n) => n.startsWith("Count/"));
            expect(names).toHaveLength(PER_USER + 1);
        }

        const destroy = await counted(() =>
            Promise.all(records.map((r) => call("folders", "delete", r.id, r.outs))),
        );
        for (const user of users) expect(await sandbox.listMailboxes(user)).toEqual(["INBOX"]);

        const counts = { up, drift, addOne, destroy };
        console.log(`requests: ${JSON.stringify(counts)} for ${USERS} users × ${PER_USER} folders`);
        expect(counts.up).toBeLessThanOrEqual(2 * USERS);
        expect(counts.drift).toBeLessThanOrEqual(USERS);
        expect(counts.addOne).toBeLessThanOrEqual(2 * USERS);
        expect(counts.destroy).toBeLessThanOrEqual(2 * USERS);
        // Every user's folders need at least one request: fewer would mean the count is wrong.
        expect(Math.min(up, addOne, destroy)).toBeGreaterThanOrEqual(1);
    });
});
