// Mailbox through the real `pulumi` CLI: create, no-op preview and refresh, rename keeping messages and
// GUID, toggling the subscription, and a provider package upgrade that must not show every resource as
// changed. The server is checked with doveadm (its storage) and a real IMAP client, never only
// through the provider's own read.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { imapStatus, imapView } from "../harness/imap";
import { PulumiProject, ResourceSpec, changedSteps } from "../harness/pulumi";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

jest.setTimeout(180_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

function mailbox(
    name: string,
    user: string,
    mailboxName: string,
    extra: Record<string, unknown> = {},
): ResourceSpec {
    return { kind: "Mailbox", name, args: { user, name: mailboxName, ...extra } };
}

describe("Mailbox lifecycle through the pulumi CLI", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    const login = (user: string) => {
        const found = sandbox.users.find((u) => u.name === user);
        if (!found) throw new Error(`no sandbox user ${user}`);
        return found;
    };
    const resources = {
        projects: mailbox("alice-projects", ALICE, "Projects"),
        year: mailbox("alice-2026", ALICE, "Projects/2026"),
        archive: mailbox("alice-archive", ALICE, "Archive", { subscribed: false }),
        notes: mailbox("bob-notes", BOB, "Notes"),
    };
    const declare = (overrides: Partial<Record<keyof typeof resources, ResourceSpec>> = {}) =>
        project.setResources(Object.values({ ...resources, ...overrides }));

    beforeAll(async () => {
        sandbox = await startDovecot();
        project = await PulumiProject.create({ server: sandbox, name: "mailbox-lifecycle" });
        declare();
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("up creates the mailboxes, as doveadm and an IMAP client see them", async () => {
        await project.up();

        expect(await sandbox.listMailboxes(ALICE)).toEqual(["Archive", "INBOX", "Projects", "Projects/2026"]);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual(["Projects", "Projects/2026"]);
        expect(await sandbox.listMailboxes(BOB)).toEqual(["INBOX", "Notes"]);

        const alice = await imapView(sandbox, login(ALICE));
        expect(alice.list).toEqual(expect.arrayContaining(["Archive", "INBOX", "Projects", "Projects/2026"]));
        expect(alice.lsub).toEqual(["Projects", "Projects/2026"]);
        const bob = await imapView(sandbox, login(BOB));
        expect(bob.list).toEqual(expect.arrayContaining(["Notes"]));
        expect(bob.lsub).toEqual(["Notes"]);

        const outputs = await project.outputs();
        const year = outputs["alice-2026"];
        const status = await imapStatus(sandbox, login(ALICE), "Projects/2026");
        expect(status).toMatchObject({ messages: 0, uidValidity: year?.uidValidity });
        expect(year?.guid).toBe((await sandbox.status(ALICE, "Projects/2026"))?.guid);
        expect(year?.id).toBe(year?.guid);
    });

    it("stores a one-line provider in state when the package is installed under node_modules", async () => {
        for (const resource of await project.stateResources()) {
            const provider = String((resource.inputs?.__provider as string | undefined) ?? "");
            expect(provider).toContain('require("pulumi-dovecot/serialized/mailbox")');
            expect(provider.length).toBeLessThan(600);
        }
    });

    it("preview right after up, and refresh, report no changes; refresh leaves the state as it was", async () => {
        const preview = await project.preview();
        expect(changedSteps(preview)).toEqual([]);
        expect(preview.changeSummary).toEqual({ same: 5 });

        const refresh = await project.previewRefresh();
        expect(changedSteps(refresh)).toEqual([]);
        expect(Object.keys(refresh.changeSummary)).toEqual(["same"]);
        // Every resource as recorded, inputs included (the engine keeps them when a read found nothing
        // changed: a Mailbox's inputs hold a `creator` its outputs do not).
        const recorded = async () =>
            (await project.stateResources()).map(({ urn, id, inputs, outputs }) => ({
                urn,
                id,
                inputs,
                outputs,
            }));
        const before = await recorded();
        expect(before.map((r) => typeof r.inputs?.creator)).toEqual(["string", "string", "string", "string"]);
        await project.refresh();
        expect(await recorded()).toEqual(before);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("renames through the program, keeping the messages and the GUID", async () => {
        await sandbox.deliver(ALICE, "Projects/2026", 3);
        const before = await sandbox.status(ALICE, "Projects/2026");
        expect(before?.messages).toBe(3);

        declare({ year: mailbox("alice-2026", ALICE, "Projects/Done-2026") });
        const preview = await project.preview();
        expect(changedSteps(preview)).toEqual(["update alice-2026"]);
        await project.up();

        expect(await sandbox.status(ALICE, "Projects/2026")).toBeUndefined();
        expect(await sandbox.status(ALICE, "Projects/Done-2026")).toEqual({
            guid: before?.guid,
            messages: 3,
        });
        const view = await imapView(sandbox, login(ALICE));
        expect(view.list).toContain("Projects/Done-2026");
        expect(view.list).not.toContain("Projects/2026");
        expect(view.lsub).toEqual(["Projects", "Projects/Done-2026"]);
        expect((await imapStatus(sandbox, login(ALICE), "Projects/Done-2026"))?.messages).toBe(3);

        const outputs = await project.outputs();
        expect(outputs["alice-2026"]).toMatchObject({ guid: before?.guid, name: "Projects/Done-2026" });
        expect(changedSteps(await project.preview())).toEqual([]);
        resources.year = mailbox("alice-2026", ALICE, "Projects/Done-2026");
    });

    it("toggles subscribed both ways", async () => {
        declare({
            archive: mailbox("alice-archive", ALICE, "Archive", { subscribed: true }),
            notes: mailbox("bob-notes", BOB, "Notes", { subscribed: false }),
        });
        await project.up();
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Archive");
        expect((await imapView(sandbox, login(ALICE))).lsub).toContain("Archive");
        expect(await sandbox.listSubscriptions(BOB)).toEqual([]);
        expect((await imapView(sandbox, login(BOB))).lsub).toEqual([]);
        // Unsubscribing keeps the mailbox.
        expect(await sandbox.listMailboxes(BOB)).toContain("Notes");

        declare();
        await project.up();
        expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Archive");
        expect((await imapView(sandbox, login(ALICE))).lsub).not.toContain("Archive");
        expect((await imapView(sandbox, login(BOB))).lsub).toEqual(["Notes"]);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("a provider package upgrade (changed code) shows no resource as changed", async () => {
        const dist = path.join(project.packageDir, "dist", "provider");
        const manifest = path.join(project.packageDir, "package.json");
        const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
        writeFileSync(manifest, JSON.stringify({ ...pkg, version: "99.0.0" }, null, 2));
        const shim = path.join(dist, "serialized", "provider-object.js");
        const shimText = readFileSync(shim, "utf8");
        const upgraded = shimText.replace(
            "pulumi-dovecot is not installed",
            "pulumi-dovecot (upgraded) is not installed",
        );
        expect(upgraded).not.toBe(shimText);
        writeFileSync(shim, upgraded);
        appendFileSync(path.join(dist, "handlers", "mailbox.js"), "\n// upgraded\n");

        const preview = await project.preview();
        expect(changedSteps(preview)).toEqual([]);
        expect(preview.changeSummary).toEqual({ same: 5 });
        expect(Object.keys((await project.previewRefresh()).changeSummary)).toEqual(["same"]);
        // And the upgraded code runs the next change.
        const guid = (await sandbox.status(BOB, "Notes"))?.guid;
        declare({ notes: mailbox("bob-notes", BOB, "Notes-Upgraded") });
        await project.up();
        expect(await sandbox.listMailboxes(BOB)).toEqual(["INBOX", "Notes-Upgraded"]);
        expect((await sandbox.status(BOB, "Notes-Upgraded"))?.guid).toBe(guid);
    });
});

describe("provider upgrade when the program loads the library by path (provider serialized by value)", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["carol"] });
        project = await PulumiProject.create({
            server: sandbox,
            layout: "path",
            name: "mailbox-by-path",
            resources: [mailbox("carol-lists", "carol@example.org", "Lists")],
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("changed provider code changes the serialized provider but no resource", async () => {
        await project.up();
        const before = String(
            ((await project.stateResource("carol-lists"))?.inputs?.__provider as string | undefined) ?? "",
        );
        expect(before).toContain(project.packageDir);

        const shim = path.join(project.packageDir, "dist", "provider", "serialized", "provider-object.js");
        writeFileSync(
            shim,
            readFileSync(shim, "utf8").replace(
                "pulumi-dovecot is not installed",
                "pulumi-dovecot (v2) is not installed",
            ),
        );
        const preview = await project.preview();
        expect(changedSteps(preview)).toEqual([]);
        expect(preview.changeSummary).toEqual({ same: 2 });

        await project.up();
        expect(await sandbox.listMailboxes("carol@example.org")).toEqual(["INBOX", "Lists"]);
        expect(changedSteps(await project.preview())).toEqual([]);
    });
});
