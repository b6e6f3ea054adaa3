// One target, one resource across the provider processes of one run: two explicit `dovecot` providers
// on one server, the default provider beside an explicit one, and the dynamic resources beside the
// package's in one TypeScript program each run in processes of their own, and a duplicate target is
// refused in `preview`, naming both, whichever processes declare it, with servers compared by their
// endpoint as normalized. A folder another resource of the stack made is never taken with adopt, and a
// resource dropped from the program whose folder another resource still declares (a state two
// releases could leave) is only forgotten: the folder and its mail stay. Checked with doveadm.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { compileNodeSdk, installNodeSdk, removeNodeSdk } from "../harness/node-sdk";
import { PulumiProject, parseJson } from "../harness/pulumi";
import { YamlProject } from "../harness/yaml";

jest.setTimeout(600_000);

const ALICE = "alice@example.org";
const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "x" { fileinto "INBOX"; }\n';

describe("one target, one resource, across provider processes", () => {
    let sandbox: Sandbox;
    /** What the server holds of alice's that any case could change, read with doveadm. */
    const serverState = async () => ({
        folders: await sandbox.listMailboxes(ALICE),
        subscriptions: await sandbox.listSubscriptions(ALICE),
        sieve: (await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim(),
        comment: (
            await sandbox.doveadm(["mailbox", "metadata", "get", "-u", ALICE, "INBOX", "/private/comment"])
        ).trim(),
    });

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    describe("the dovecot package's providers (YAML)", () => {
        let project: YamlProject;
        /** An explicit provider of the sandbox, its endpoint written as `endpoint`. */
        const provider = (endpoint: string) => ({
            type: "pulumi:providers:dovecot",
            properties: { endpoint, apiKey: sandbox.apiKey },
        });
        const mailbox = (name: string, extra: Record<string, unknown> = {}, providerName?: string) => ({
            type: "dovecot:index:Mailbox",
            properties: { user: ALICE, name, ...extra },
            ...(providerName ? { options: { provider: `\${${providerName}}` } } : {}),
        });

        beforeAll(async () => {
            project = await YamlProject.create({ name: "one-target-yaml", server: sandbox });
        });
        afterAll(async () => {
            if (project) {
                project.setProgram({});
                await project.up({ skipPreview: true, allowFailure: true });
                project.cleanup();
            }
        });

        it("two explicit providers on one server, the second with adopt: preview and up are refused naming both; nothing is sent", async () => {
            const before = await serverState();
            project.setProgram({
                resources: {
                    one: provider(sandbox.endpoint),
                    // The same server, its endpoint written another way.
                    two: provider(`${sandbox.endpoint}/doveadm/v1/`),
                    first: mailbox("Twice", {}, "one"),
                    second: mailbox("Twice", { adopt: true }, "two"),
                },
            });
            for (const run of [
                () => project.preview([], { allowFailure: true }),
                () => project.up({ allowFailure: true }),
            ]) {
                const result = await run();
                expect(result.code).not.toBe(0);
                expect(result.output).toMatch(/the folder "Twice" of user "alice@example.org"/);
                expect(result.output).toMatch(/one resource only may manage it/);
                expect(result.output).toContain('"first"');
                expect(result.output).toContain('"second"');
                expect(await serverState()).toEqual(before);
            }
        });

        it("the default provider and an explicit one on the same server: preview is refused naming both", async () => {
            const before = await serverState();
            project.setProgram({
                resources: {
                    one: provider(sandbox.endpoint),
                    first: mailbox("Both"),
                    second: mailbox("Both", {}, "one"),
                },
            });
            const preview = await project.preview([], { allowFailure: true });
            expect(preview.code).not.toBe(0);
            expect(preview.output).toMatch(
                /the Mailbox "(first|second)" declares the folder "Both" of user "alice@example.org", which the Mailbox "(first|second)" of this program declares too/,
            );
            expect(preview.output).not.toMatch(/this stack did not create it/);
            expect(await serverState()).toEqual(before);
        });

        it("a folder another resource of the stack made is not taken with adopt, and the advice never says forceDestroy", async () => {
            project.setProgram({
                resources: { one: provider(sandbox.endpoint), first: mailbox("Made", {}, "one") },
            });
            expect((await project.up({ skipPreview: true })).code).toBe(0);
            await sandbox.deliver(ALICE, "Made", 2);
            const guid = (await sandbox.status(ALICE, "Made"))?.guid;
            // The program now declares the folder in another resource, with adopt, and drops the first:
            // the second's create comes first, and is refused; the first is then not deleted.
            project.setProgram({
                resources: {
                    one: provider(sandbox.endpoint),
                    second: mailbox("Made", { adopt: true }, "one"),
                },
            });
            const up = await project.up({ skipPreview: true, allowFailure: true });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(/made by another resource of this stack \(its GUID says so\)/);
            expect(up.output).not.toMatch(/forceDestroy/);
            expect(await sandbox.status(ALICE, "Made")).toMatchObject({ guid, messages: 2 });
            const names = (await project.stateResources()).map((r) => r.urn.split("::").pop());
            expect(names).toEqual(["first"]);
            // Back to the first alone: nothing to change.
            project.setProgram({
                resources: { one: provider(sandbox.endpoint), first: mailbox("Made", {}, "one") },
            });
            expect((await project.preview(["--expect-no-changes"])).code).toBe(0);
        });

        it("a resource dropped from the program whose folder another resource still declares is only forgotten", async () => {
            // Two records of one folder, as an earlier release let two providers' resources make them:
            // `copy` is a copy of `first` under another name, with the same GUID.
            const exported = parseJson<{ deployment: { resources: Array<Record<string, unknown>> } }>(
                (await project.pulumi(["stack", "export"])).stdout,
                "stack export",
            );
            const original = exported.deployment.resources.find((r) => String(r.urn).endsWith("::first"));
            expect(original).toBeDefined();
            exported.deployment.resources.push({
                ...original,
                urn: String(original?.urn).replace(/::first$/, "::copy"),
            });
            const file = path.join(project.root, "doubled.json");
            writeFileSync(file, JSON.stringify(exported));
            await project.pulumi(["stack", "import", "--file", file]);
            const guid = (await sandbox.status(ALICE, "Made"))?.guid;
            // `copy` is not in the program: removing it must not delete the folder `first` declares.
            const up = await project.up({ skipPreview: true });
            expect(up.code).toBe(0);
            expect(up.output).toMatch(
                /removed from the stack without touching the server: the Mailbox "first" of this program declares the folder "Made"/,
            );
            expect(await sandbox.status(ALICE, "Made")).toMatchObject({ guid, messages: 2 });
            expect((await project.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
            project.setProgram({
                resources: {
                    one: provider(sandbox.endpoint),
                    first: mailbox("Made", { forceDestroy: true }, "one"),
                },
            });
            await project.up({ skipPreview: true });
        });
    });

    describe("dynamic resources beside the package's, in one TypeScript program", () => {
        let project: PulumiProject;
        let sdk: string;
        const program = (pair: string) => `"use strict";
const dovecot = require("pulumi-dovecot");
const plugin = require("@pulumi-dovecot/dovecot");
const user = ${JSON.stringify(ALICE)};
const pair = ${JSON.stringify(pair)};
if (pair === "mailbox") {
    new dovecot.Mailbox("dynamic-box", { user, name: "Twice" });
    new plugin.Mailbox("package-box", { user, name: "Twice" });
} else if (pair === "subscription") {
    new dovecot.Mailbox("dynamic-box", { user, name: "Subbed" });
    new plugin.Subscription("package-sub", { user, mailbox: "Subbed" });
} else if (pair === "sieve") {
    new dovecot.SieveScript("dynamic-on", { user, name: "one", script: ${JSON.stringify(SCRIPT)} });
    new plugin.SieveScript("package-on", { user, name: "two", script: ${JSON.stringify(SCRIPT)} });
} else if (pair === "metadata") {
    new dovecot.MailboxMetadata("dynamic-meta", { user, mailbox: "INBOX", key: "/private/comment", value: "one" });
    new plugin.MailboxMetadata("package-meta", { user, mailbox: "INBOX", key: "/private/comment", value: "two" });
}
`;

        beforeAll(async () => {
            sdk = await compileNodeSdk();
            project = await PulumiProject.create({ server: sandbox, name: "one-target-faces" });
            installNodeSdk(sdk, project.dir);
        });
        afterAll(async () => {
            project?.cleanup();
            if (sdk) removeNodeSdk(sdk);
        });

        it.each([
            ["a Mailbox of each face with one folder", "mailbox", /the folder "Twice" of user/],
            [
                "a package Subscription of a dynamic Mailbox's folder",
                "subscription",
                /the subscription of user "alice@example.org" to "Subbed"/,
            ],
            ["an active SieveScript of each face for one user", "sieve", /the active Sieve script of user/],
            [
                "a MailboxMetadata of each face with one key",
                "metadata",
                /the METADATA entry "\/private\/comment"/,
            ],
        ])("%s: preview and up are refused naming both; nothing is applied", async (_title, pair, what) => {
            const before = await serverState();
            writeFileSync(path.join(project.dir, "index.js"), program(pair));
            const preview = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
                allowFailure: true,
            });
            expect(preview.code).not.toBe(0);
            expect(preview.output).toMatch(what);
            expect(preview.output).toMatch(/one resource only may manage it/);
            const up = await project.pulumi(["up", "--yes", "--non-interactive", "--stack", project.stack], {
                allowFailure: true,
            });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(what);
            expect(await serverState()).toEqual(before);
            const state = parseJson<{ deployment: { resources?: Array<{ type: string }> } }>(
                await project.exportText(),
                "stack export",
            );
            const recorded = (state.deployment.resources ?? []).filter(
                (r) =>
                    r.type.startsWith("dovecot:index:") ||
                    r.type.startsWith("pulumi-nodejs:dynamic/dovecot:"),
            );
            expect(recorded).toEqual([]);
        });
    });
});
