// Several Dovecot servers in one program, through the real `pulumi` CLI: two backends and a proxy in
// front of them (whose passdb sends each user's doveadm mail commands to that user's backend), named
// in dovecot:servers (credentials set with --secret --path), a `server` on each resource, Reloads.
// Every check reads each backend with its own doveadm (the storage, not the API under test) or its
// own log (reloads), so none trusts what the provider reports.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { credentialForms } from "../../provider/client/redact";
import { Sandbox, startDovecot } from "../harness/dovecot";
import {
    PulumiProject,
    ResourceSpec,
    changedSteps,
    filesUnder,
    occurrences,
    readProjectFile,
} from "../harness/pulumi";

jest.setTimeout(300_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

function mailbox(name: string, user: string, folder: string, server?: string, extra = {}): ResourceSpec {
    return {
        kind: "Mailbox",
        name,
        args: { user, name: folder, ...(server ? { server } : {}), ...extra },
    };
}

describe("several servers in one program through the pulumi CLI", () => {
    let backend1: Sandbox;
    let backend2: Sandbox;
    let proxy: Sandbox;
    let project: PulumiProject;
    const reloads = (sandbox: Sandbox) => occurrences(sandbox.log(), "SIGHUP received");
    const secrets = () =>
        [backend1, backend2, proxy].flatMap((b) =>
            credentialForms({ apiKey: b.apiKey, password: b.password }),
        );
    /** Every command's output so far, to scan for credentials. */
    const allOutput = () => project.history.map((r) => r.output).join("\n");

    const resources = (triggers: string[]): ResourceSpec[] => [
        mailbox("alice-projects", ALICE, "Projects", "backend1"),
        mailbox("bob-projects", BOB, "Projects", "backend2"),
        {
            kind: "Subscription",
            name: "bob-shared",
            args: { user: BOB, mailbox: "Shared", server: "backend2" },
        },
        {
            kind: "FolderSet",
            name: "alice-set",
            args: { user: ALICE, server: "backend1", folders: [{ name: "Lists" }, { name: "Receipts" }] },
        },
        { kind: "Reload", name: "config", args: { triggers, servers: ["backend1", "backend2"] } },
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
        project = await PulumiProject.create({ name: "servers-lifecycle", resources: resources(["one"]) });
        // No default server: every resource names its own.
        await project.setConfig("dovecot:servers.backend1.endpoint", backend1.endpoint, { path: true });
        await project.setConfig("dovecot:servers.backend1.apiKey", backend1.apiKey, {
            path: true,
            secret: true,
        });
        await project.setConfig("dovecot:servers.backend2.endpoint", backend2.endpoint, { path: true });
        await project.setConfig("dovecot:servers.backend2.password", backend2.password, {
            path: true,
            secret: true,
        });
        await project.setConfig("dovecot:servers.backend2.maxConcurrency", "2", { path: true });
        await project.setConfig("dovecot:servers.proxy.endpoint", proxy.endpoint, { path: true });
        await project.setConfig("dovecot:servers.proxy.apiKey", proxy.apiKey, { path: true, secret: true });
    });
    afterAll(async () => {
        project?.cleanup();
        await Promise.all([proxy, backend1, backend2].map((sandbox) => sandbox?.stop()));
    });

    it("up puts each user's folders on their own backend and reloads both", async () => {
        const result = await project.up();
        expect(result.code).toBe(0);

        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Projects", "Receipts"]);
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects"]);
        expect(await backend2.listSubscriptions(BOB)).toEqual(["Projects", "Shared"]);
        // Neither backend knows the other's user, so nothing can have gone to the wrong one unnoticed.
        expect((await backend1.doveadmResult(["mailbox", "list", "-u", BOB])).code).not.toBe(0);
        expect(reloads(backend1)).toBe(1);
        expect(reloads(backend2)).toBe(1);

        const outputs = await project.outputs();
        expect(outputs["bob-projects"]?.server).toBe("backend2");
        expect(outputs["bob-projects"]?.guid).toBe((await backend2.status(BOB, "Projects"))?.guid);
        expect(Object.keys(outputs.config?.reloaded as object).sort()).toEqual(["backend1", "backend2"]);
    });

    it("preview right after up shows no changes", async () => {
        const preview = await project.preview();
        expect(changedSteps(preview)).toEqual([]);
    });

    it("refresh sees drift on one backend only, and up repairs it there", async () => {
        await backend2.doveadm(["mailbox", "delete", "-u", BOB, "Projects"]);
        await project.refresh();
        expect(await project.stateResource("bob-projects")).toBeUndefined();
        expect(await project.stateResource("alice-projects")).toBeDefined();
        const preview = await project.preview();
        expect(changedSteps(preview)).toEqual(["create bob-projects"]);
        await project.up();
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects"]);
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Projects", "Receipts"]);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("an unknown server name fails in preview with the configured names, before anything is sent", async () => {
        project.setResources([...resources(["one"]), mailbox("typo", ALICE, "Typo", "backend3")]);
        const result = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
            allowFailure: true,
        });
        expect(result.code).not.toBe(0);
        expect(result.output).toContain('server "backend3" is not configured');
        expect(result.output).toContain('the configured servers are "backend1", "backend2", "proxy"');
        expect(await backend1.listMailboxes(ALICE)).not.toContain("Typo");
        project.setResources(resources(["one"]));
    });

    it("a reload with one server down names it, keeps the other's reload, and the next up reloads only it", async () => {
        await backend2.stopServer();
        project.setResources(resources(["two"]));
        const failed = await project.up({ allowFailure: true });
        expect(failed.code).not.toBe(0);
        expect(failed.output).toMatch(/reload on server "backend2"/);
        expect(failed.output).not.toMatch(/reload on server "backend1"/);
        expect(reloads(backend1)).toBe(2);

        await backend2.startServer();
        const before2 = reloads(backend2);
        const result = await project.up();
        expect(result.code).toBe(0);
        expect(reloads(backend1)).toBe(2); // not again: its reload for "two" stands
        expect(reloads(backend2)).toBe(before2 + 1);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("a wrong key for one server stops work on that server only", async () => {
        await project.setConfig("dovecot:servers.backend2.apiKey", "wrong-key-8e1d", {
            path: true,
            secret: true,
        });
        await project.setConfig("dovecot:servers.backend2.password", "", { path: true, secret: true });
        project.setResources([
            ...resources(["two"]),
            mailbox("alice-new", ALICE, "New", "backend1"),
            mailbox("bob-new", BOB, "New", "backend2"),
        ]);
        // --continue-on-error: the engine would otherwise start nothing new after the first failure.
        const failed = await project.pulumi(
            [
                "up",
                "--yes",
                "--skip-preview",
                "--non-interactive",
                "--continue-on-error",
                "--stack",
                project.stack,
            ],
            { allowFailure: true },
        );
        expect(failed.code).not.toBe(0);
        expect(failed.output).toMatch(/on server "backend2".*rejected the credentials \(HTTP 401\)/);
        // The advice names that server's settings, not the default server's.
        expect(failed.output).toContain(
            "Check dovecot:servers.backend2.apiKey (or dovecot:servers.backend2.password)",
        );
        expect(await backend1.listMailboxes(ALICE)).toContain("New");
        expect(await backend2.listMailboxes(BOB)).not.toContain("New");
        expect(failed.output).not.toContain("wrong-key-8e1d");

        await project.setConfig("dovecot:servers.backend2.password", backend2.password, {
            path: true,
            secret: true,
        });
        await project.pulumi([
            "config",
            "rm",
            "--path",
            "dovecot:servers.backend2.apiKey",
            "--stack",
            project.stack,
        ]);
        await project.up();
        expect(await backend2.listMailboxes(BOB)).toContain("New");
        project.setResources(resources(["two"]));
        await project.up();
        expect(await backend1.listMailboxes(ALICE)).not.toContain("New");
        expect(await backend2.listMailboxes(BOB)).not.toContain("New");
    });

    it("keeps every server's credentials out of state, config file and output", async () => {
        const exported = await project.exportText();
        expect(exported).toContain("backend2"); // the name is there; the settings are not
        for (const file of filesUnder(project.stateDir)) {
            const text = readFileSync(file, "utf8");
            for (const secret of secrets()) expect(text).not.toContain(secret);
        }
        const config = readProjectFile(project, `Pulumi.${project.stack}.yaml`);
        for (const secret of secrets()) expect(config).not.toContain(secret);
        for (const secret of secrets()) expect(allOutput()).not.toContain(secret);
    });

    const throughProxy = (specs: ResourceSpec[]): ResourceSpec[] =>
        specs.map((r) => (r.kind === "Reload" ? r : { ...r, args: { ...r.args, server: "proxy" } }));

    it("moving the resources to the proxy in front of their backends deletes and makes nothing", async () => {
        const guids = {
            alice: (await backend1.status(ALICE, "Projects"))?.guid,
            bob: (await backend2.status(BOB, "Projects"))?.guid,
            lists: (await backend1.status(ALICE, "Lists"))?.guid,
        };
        await backend2.deliver(BOB, "Projects", 2);
        project.setResources(throughProxy(resources(["two"])));
        const steps = changedSteps(await project.preview());
        // The folders are found through the proxy by their GUIDs: updated, not replaced.
        expect(steps).toEqual(
            expect.arrayContaining(["update alice-projects", "update bob-projects", "update alice-set"]),
        );
        expect(steps.filter((step) => /alice-projects|bob-projects|alice-set/.test(step))).toHaveLength(3);
        await project.up();
        expect(await backend1.status(ALICE, "Projects")).toEqual({ guid: guids.alice, messages: 0 });
        expect(await backend2.status(BOB, "Projects")).toEqual({ guid: guids.bob, messages: 2 });
        expect((await backend1.status(ALICE, "Lists"))?.guid).toBe(guids.lists);
        expect(await backend2.listSubscriptions(BOB)).toEqual(["Projects", "Shared"]);
        expect((await project.outputs())["bob-projects"]?.server).toBe("proxy");
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("through the proxy: creates land on the user's backend, drift is seen, refusals are as clear", async () => {
        await backend2.doveadm(["mailbox", "create", "-u", BOB, "Taken"]);
        await backend2.deliver(BOB, "Taken", 1);
        const takenGuid = (await backend2.status(BOB, "Taken"))?.guid;
        const reloadsBefore = [reloads(backend1), reloads(backend2)];
        project.setResources([
            ...throughProxy(resources(["two"])),
            mailbox("bob-via-proxy", BOB, "Via Proxy", "proxy"),
            { kind: "Reload", name: "proxy-config", args: { triggers: ["p1"], server: "proxy" } },
        ]);
        await project.up();
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Projects", "Taken", "Via Proxy"]);
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX", "Lists", "Projects", "Receipts"]);
        // A reload sent to the proxy reloads the proxy, not the backends behind it.
        expect(reloads(proxy)).toBe(1);
        expect([reloads(backend1), reloads(backend2)]).toEqual(reloadsBefore);

        await backend2.doveadm(["mailbox", "delete", "-u", BOB, "Via Proxy"]);
        await project.refresh();
        expect(await project.stateResource("bob-via-proxy")).toBeUndefined();
        await project.up();
        expect(await backend2.listMailboxes(BOB)).toContain("Via Proxy");

        project.setResources([
            ...throughProxy(resources(["two"])),
            mailbox("bob-via-proxy", BOB, "Via Proxy", "proxy"),
            { kind: "Reload", name: "proxy-config", args: { triggers: ["p1"], server: "proxy" } },
            mailbox("bob-taken", BOB, "Taken", "proxy"),
        ]);
        const failed = await project.up({ allowFailure: true });
        expect(failed.code).not.toBe(0);
        expect(failed.output).toContain(
            'mailboxCreate on server "proxy" for user "bob@example.org" on mailbox "Taken" failed: the mailbox already exists',
        );
        expect(failed.output).toContain("Set adopt: true on this Mailbox");
        expect(await backend2.status(BOB, "Taken")).toEqual({ guid: takenGuid, messages: 1 });
        project.setResources([
            ...throughProxy(resources(["two"])),
            { kind: "Reload", name: "proxy-config", args: { triggers: ["p1"], server: "proxy" } },
        ]);
    });

    it("destroy through the proxy keeps a folder that holds mail, then removes every folder", async () => {
        const refused = await project.destroy({ allowFailure: true });
        expect(refused.code).not.toBe(0);
        expect(refused.output).toContain(
            'mailboxDelete on server "proxy" for user "bob@example.org" on mailbox "Projects" failed: the mailbox holds 2 messages',
        );
        expect((await backend2.status(BOB, "Projects"))?.messages).toBe(2);
        project.setResources([mailbox("bob-projects", BOB, "Projects", "proxy", { forceDestroy: true })]);
        await project.up();
        const result = await project.destroy();
        expect(result.code).toBe(0);
        expect(await backend1.listMailboxes(ALICE)).toEqual(["INBOX"]);
        // "Taken" was never this program's: it stays, with its message.
        expect(await backend2.listMailboxes(BOB)).toEqual(["INBOX", "Taken"]);
        expect((await backend2.status(BOB, "Taken"))?.messages).toBe(1);
        expect(await backend2.listSubscriptions(BOB)).toEqual([]);
    });
});
