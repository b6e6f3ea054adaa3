// Several Dovecot servers in one program, through the handlers' life cycle in-process: two backends and
// a proxy in front of them (whose passdb sends each user's doveadm mail commands to that user's
// backend), named in dovecot:servers, a `server` on each resource, Reloads. (Named servers set with
// `pulumi config set --secret --path` and kept out of state and output: test/cli/servers.test.ts.)
// Every check reads each backend with its own doveadm (the storage, not the API under test) or its
// own log (reloads), so none trusts what the provider reports.
import { randomBytes } from "node:crypto";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { occurrences } from "../harness/pulumi";

jest.setTimeout(180_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

function mailbox(name: string, user: string, folder: string, server?: string, extra = {}): Declared {
    return {
        kind: "mailbox",
        name,
        args: { user, name: folder, ...(server ? { server } : {}), ...extra },
    };
}

describe("several servers in one program", () => {
    let backend1: Sandbox;
    let backend2: Sandbox;
    let proxy: Sandbox;
    let stack: LifeCycle;
    let program: Declared[];
    let servers: Record<string, Record<string, string>>;
    const reloads = (sandbox: Sandbox) => occurrences(sandbox.log(), "SIGHUP received");
    /** The stack configuration: the named servers only (no default server: every resource names its own). */
    const configure = () => stack.setConfig({ "dovecot:servers": JSON.stringify(servers) });

    const resources = (triggers: string[]): Declared[] => [
        mailbox("alice-projects", ALICE, "Projects", "backend1"),
        mailbox("bob-projects", BOB, "Projects", "backend2"),
        {
            kind: "subscription",
            name: "bob-shared",
            args: { user: BOB, mailbox: "Shared", server: "backend2" },
        },
        {
            kind: "folders",
            name: "alice-set",
            args: { user: ALICE, server: "backend1", folders: [{ name: "Lists" }, { name: "Receipts" }] },
        },
        { kind: "reload", name: "config", args: { triggers, servers: ["backend1", "backend2"] } },
    ];

    beforeAll(async () => {
        // The proxy logs in to the backends' doveadm listeners with its own doveadm_password.
        const password = randomBytes(18).toString("base64url");
        [backend1, backend2] = await Promise.all([
            startDovecot({ users: ["alice"], doveadmListener: true, password }),
            startDovecot({ users: ["bob"], doveadmListener: true, password }),
        ]);
        proxy = await startDovecot({
            password,
            proxyTo: [
                { users: ["alice"], port: backend1.doveadmPort! },
                { users: ["bob"], port: backend2.doveadmPort! },
            ],
        });
        servers = {
            backend1: { endpoint: backend1.endpoint, apiKey: backend1.apiKey },
            backend2: { endpoint: backend2.endpoint, password: backend2.password, maxConcurrency: "2" },
            proxy: { endpoint: proxy.endpoint, apiKey: proxy.apiKey },
        };
        stack = new LifeCycle({}, "servers-lifecycle");
        configure();
        program = resources(["one"]);
    });
    afterAll(async () => {
        await Promise.all([proxy, backend1, backend2].map((sandbox) => sandbox?.stop()));
    });

    it("up puts each user's folders on their own backend and reloads both", async () => {
        await applied(stack.up(program));

        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Projects", "Receipts"]);
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects"]);
        expect(await backend2.listSubscriptions(BOB)).toEqual(["Projects", "Shared"]);
        // Neither backend knows the other's user, so nothing can have gone to the wrong one unnoticed.
        expect((await backend1.doveadmResult(["mailbox", "list", "-u", BOB])).code).not.toBe(0);
        expect(reloads(backend1)).toBe(1);
        expect(reloads(backend2)).toBe(1);

        expect(stack.outputs("bob-projects")?.server).toBe("backend2");
        expect(stack.outputs("bob-projects")?.guid).toBe((await backend2.status(BOB, "Projects"))?.guid);
        expect(Object.keys(stack.outputs("config")?.reloaded as object).sort()).toEqual([
            "backend1",
            "backend2",
        ]);
    });

    it("preview right after up shows no changes", async () => {
        expect(await stack.changes(program)).toEqual([]);
    });

    it("refresh sees drift on one backend only, and up repairs it there", async () => {
        await backend2.doveadm(["mailbox", "delete", "-u", BOB, "Projects"]);
        await applied(stack.refresh());
        expect(stack.outputs("bob-projects")).toBeUndefined();
        expect(stack.outputs("alice-projects")).toBeDefined();
        expect(await stack.changes(program)).toEqual(["create bob-projects"]);
        await applied(stack.up(program));
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects"]);
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Projects", "Receipts"]);
        expect(await stack.changes(program)).toEqual([]);
    });

    it("an unknown server name fails in preview with the configured names, before anything is sent", async () => {
        const result = await stack.preview([
            ...resources(["one"]),
            mailbox("typo", ALICE, "Typo", "backend3"),
        ]);
        expect(String(result.error?.message)).toContain('server "backend3" is not configured');
        expect(String(result.error?.message)).toContain(
            'the configured servers are "backend1", "backend2", "proxy"',
        );
        expect(await backend1.listMailboxes(ALICE)).not.toContain("Typo");
    });

    it("a reload with one server down names it, keeps the other's reload, and the next up reloads only it", async () => {
        await backend2.stopServer();
        program = resources(["two"]);
        const failed = await stack.up(program);
        expect(String(failed.error?.message)).toMatch(/reload on server "backend2"/);
        expect(String(failed.error?.message)).not.toMatch(/reload on server "backend1"/);
        expect(reloads(backend1)).toBe(2);

        await backend2.startServer();
        const before2 = reloads(backend2);
        await applied(stack.up(program));
        expect(reloads(backend1)).toBe(2); // not again: its reload for "two" stands
        expect(reloads(backend2)).toBe(before2 + 1);
        expect(await stack.changes(program)).toEqual([]);
    });

    it("a wrong key for one server stops work on that server only", async () => {
        servers.backend2 = { ...servers.backend2, apiKey: "wrong-key-8e1d" };
        delete servers.backend2.password;
        configure();
        const withNew = [
            ...resources(["two"]),
            mailbox("alice-new", ALICE, "New", "backend1"),
            mailbox("bob-new", BOB, "New", "backend2"),
        ];
        // As with --continue-on-error: the engine would otherwise start nothing new after the first failure.
        const failed = await stack.up(withNew, { continueOnError: true });
        const message = String(failed.error?.message);
        expect(message).toMatch(/on server "backend2".*rejected the credentials \(HTTP 401\)/);
        // The advice names that server's settings, not the default server's.
        expect(message).toContain(
            "Check dovecot:servers.backend2.apiKey (or dovecot:servers.backend2.password)",
        );
        expect(await backend1.listMailboxes(ALICE)).toContain("New");
        expect(await backend2.listMailboxes(BOB)).not.toContain("New");
        expect(message).not.toContain("wrong-key-8e1d");

        servers.backend2 = { endpoint: backend2.endpoint, password: backend2.password, maxConcurrency: "2" };
        configure();
        await applied(stack.up(withNew));
        expect(await backend2.listMailboxes(BOB)).toContain("New");
        await applied(stack.up(program));
        expect(await backend1.listMailboxes(ALICE)).not.toContain("New");
        expect(await backend2.listMailboxes(BOB)).not.toContain("New");
    });

    const throughProxy = (specs: Declared[]): Declared[] =>
        specs.map((r) => (r.kind === "reload" ? r : { ...r, args: { ...r.args, server: "proxy" } }));

    it("moving the resources to the proxy in front of their backends deletes and makes nothing", async () => {
        const guids = {
            alice: (await backend1.status(ALICE, "Projects"))?.guid,
            bob: (await backend2.status(BOB, "Projects"))?.guid,
            lists: (await backend1.status(ALICE, "Lists"))?.guid,
        };
        await backend2.deliver(BOB, "Projects", 2);
        program = throughProxy(resources(["two"]));
        const steps = await stack.changes(program);
        // The folders are found through the proxy by their GUIDs: updated, not replaced.
        expect(steps).toEqual(
            expect.arrayContaining(["update alice-projects", "update bob-projects", "update alice-set"]),
        );
        expect(steps.filter((step) => /alice-projects|bob-projects|alice-set/.test(step))).toHaveLength(3);
        await applied(stack.up(program));
        expect(await backend1.status(ALICE, "Projects")).toEqual({ guid: guids.alice, messages: 0 });
        expect(await backend2.status(BOB, "Projects")).toEqual({ guid: guids.bob, messages: 2 });
        expect((await backend1.status(ALICE, "Lists"))?.guid).toBe(guids.lists);
        expect(await backend2.listSubscriptions(BOB)).toEqual(["Projects", "Shared"]);
        expect(stack.outputs("bob-projects")?.server).toBe("proxy");
        expect(await stack.changes(program)).toEqual([]);
    });

    it("through the proxy: creates land on the user's backend, drift is seen, refusals are as clear", async () => {
        await backend2.doveadm(["mailbox", "create", "-u", BOB, "Taken"]);
        await backend2.deliver(BOB, "Taken", 1);
        const takenGuid = (await backend2.status(BOB, "Taken"))?.guid;
        const reloadsBefore = [reloads(backend1), reloads(backend2)];
        program = [
            ...throughProxy(resources(["two"])),
            mailbox("bob-via-proxy", BOB, "Via Proxy", "proxy"),
            { kind: "reload", name: "proxy-config", args: { triggers: ["p1"], server: "proxy" } },
        ];
        await applied(stack.up(program));
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects", "Taken", "Via Proxy"]);
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Projects", "Receipts"]);
        // A reload sent to the proxy reloads the proxy, not the backends behind it.
        expect(reloads(proxy)).toBe(1);
        expect([reloads(backend1), reloads(backend2)]).toEqual(reloadsBefore);

        await backend2.doveadm(["mailbox", "delete", "-u", BOB, "Via Proxy"]);
        await applied(stack.refresh());
        expect(stack.outputs("bob-via-proxy")).toBeUndefined();
        await applied(stack.up(program));
        expect(await backend2.listMailboxes(BOB)).toContain("Via Proxy");

        program = [
            ...throughProxy(resources(["two"])),
            mailbox("bob-via-proxy", BOB, "Via Proxy", "proxy"),
            { kind: "reload", name: "proxy-config", args: { triggers: ["p1"], server: "proxy" } },
            mailbox("bob-taken", BOB, "Taken", "proxy"),
        ];
        const failed = await stack.up(program);
        expect(String(failed.error?.message)).toContain(
            'mailboxCreate on server "proxy" for user "bob@example.org" on mailbox "Taken" failed: the mailbox already exists',
        );
        expect(String(failed.error?.message)).toContain("Set adopt: true on this Mailbox");
        expect(await backend2.status(BOB, "Taken")).toEqual({ guid: takenGuid, messages: 1 });
        program = [
            ...throughProxy(resources(["two"])),
            { kind: "reload", name: "proxy-config", args: { triggers: ["p1"], server: "proxy" } },
        ];
    });

    it("destroy through the proxy keeps a folder that holds mail, then removes every folder", async () => {
        const refused = await stack.destroy();
        expect(String(refused.error?.message)).toContain(
            'mailboxDelete on server "proxy" for user "bob@example.org" on mailbox "Projects" failed: the mailbox holds 2 messages',
        );
        expect((await backend2.status(BOB, "Projects"))?.messages).toBe(2);
        program = [mailbox("bob-projects", BOB, "Projects", "proxy", { forceDestroy: true })];
        await applied(stack.up(program));
        await applied(stack.destroy());
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX"]);
        // "Taken" was never this program's: it stays, with its message.
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Taken"]);
        expect((await backend2.status(BOB, "Taken"))?.messages).toBe(1);
        expect(await backend2.listSubscriptions(BOB)).toEqual([]);
    });
});
