// TypeScript with both faces of the package, through the real CLI: dynamic resources (pulumi-dovecot)
// and resources of the `dovecot` provider plugin (its generated Node.js SDK, sdk/nodejs) side by side in
// one program, on one server, each checked with doveadm; then a dynamic Mailbox moved to the plugin's
// Mailbox with `aliases`, as the README shows: no replacement, the same folder (GUID), its messages
// kept; refresh and destroy then go through the plugin. The SDK is the package `npm pack` makes of
// sdk/nodejs after its build; the plugin is this checkout's, named in Pulumi.yaml as the README shows
// (dist/plugin), so no command warns of a plugin found on PATH. Last, the README's first TypeScript
// programs, one per face, as written there, in a project configured by the README's `configure`
// commands as written: each makes its folder and destroy deletes it.
import { appendFileSync, copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { warnedOfPluginOnPath } from "../harness/examples";
import { forClone, installBlock, readmeProgram, runBlock } from "../harness/install-lines";
import { compileNodeSdk, installNodeSdk, removeNodeSdk } from "../harness/node-sdk";
import { PulumiProject, REPO_ROOT, changedSteps } from "../harness/pulumi";

jest.setTimeout(600_000);

const ALICE = "alice@example.org";

/** The program: `mode.json` says which face declares the folder `Moved`. */
const PROGRAM = `"use strict";
const fs = require("fs");
const path = require("path");
const dovecot = require("pulumi-dovecot");
const plugin = require("@pulumi-dovecot/dovecot");
const { mode, forceDestroy } = JSON.parse(fs.readFileSync(path.join(__dirname, "mode.json"), "utf8"));
const user = "${ALICE}";
// Side by side: a folder of each face, and a subscription of the dynamic one.
const dynamicBox = new dovecot.Mailbox("dynamic-box", { user, name: "Dynamic" });
const pluginBox = new plugin.Mailbox("plugin-box", { user, name: "Plugin" });
new dovecot.Subscription("team", { user, mailbox: "Shared/Team" });
// The folder that moves from the dynamic Mailbox to the plugin's, keeping its resource name.
const moved =
    mode === "dynamic"
        ? new dovecot.Mailbox("moved", { user, name: "Moved", forceDestroy })
        : new plugin.Mailbox("moved", { user, name: "Moved", forceDestroy }, {
              aliases: [{ type: "pulumi-nodejs:dynamic/dovecot:Mailbox" }],
          });
exports.guids = { dynamic: dynamicBox.guid, plugin: pluginBox.guid, moved: moved.guid };
`;

describe("dynamic and plugin resources in one TypeScript program", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    let sdk: string;
    const setMode = (mode: "dynamic" | "plugin", forceDestroy = false) =>
        writeFileSync(path.join(project.dir, "mode.json"), JSON.stringify({ mode, forceDestroy }));

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        // The Node.js SDK as its package is published.
        sdk = await compileNodeSdk();
        project = await PulumiProject.create({ server: sandbox, name: "plugin-typescript" });
        installNodeSdk(sdk, project.dir);
        writeFileSync(path.join(project.dir, "index.js"), PROGRAM);
        appendFileSync(
            path.join(project.dir, "Pulumi.yaml"),
            forClone(installBlock(path.join(REPO_ROOT, "README.md"), "clone-plugin").text, REPO_ROOT),
        );
    });
    afterAll(async () => {
        project?.cleanup();
        if (sdk) removeNodeSdk(sdk);
        await sandbox?.stop();
    });

    it("side by side: up makes each face's folders, each recorded with its own type", async () => {
        setMode("dynamic");
        await project.up();
        const folders = await sandbox.mailboxes(ALICE);
        for (const name of ["Dynamic", "Plugin", "Moved"]) expect(folders.map((f) => f.name)).toContain(name);
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Shared/Team");
        const state = await project.pulumi(["stack", "export", "--stack", project.stack]);
        const resources = JSON.parse(state.stdout).deployment.resources as Array<{
            urn: string;
            type: string;
            id?: string;
        }>;
        const typeOf = (name: string) => resources.find((r) => r.urn.endsWith(`::${name}`))?.type;
        expect(typeOf("dynamic-box")).toBe("pulumi-nodejs:dynamic/dovecot:Mailbox");
        expect(typeOf("plugin-box")).toBe("dovecot:index:Mailbox");
        expect(resources.find((r) => r.urn.endsWith("::plugin-box"))?.id).toBe(
            folders.find((f) => f.name === "Plugin")?.guid,
        );
        expect(changedSteps(await project.preview({ refresh: true }))).toEqual([]);
    });

    it("a dynamic Mailbox moves to the plugin's Mailbox with aliases: no replacement, the same folder and its mail", async () => {
        const before = await sandbox.status(ALICE, "Moved");
        await sandbox.deliver(ALICE, "Moved", 2);
        setMode("plugin");
        // The preview shows nothing to do for it (an unchanged step is left out of the list).
        const preview = await project.preview();
        const steps = preview.steps.filter((s) => s.urn.endsWith("::moved")).map((s) => s.op);
        expect(steps.filter((op) => !["same", "read", "refresh"].includes(op))).toEqual([]);
        expect(changedSteps(preview)).toEqual([]);
        await project.up();
        expect(await sandbox.status(ALICE, "Moved")).toEqual({ guid: before?.guid, messages: 2 });
        const moved = await project.stateResource("moved");
        expect(moved).toBeUndefined(); // stateResource lists only dynamic resources: it moved
        const state = JSON.parse(
            (await project.pulumi(["stack", "export", "--stack", project.stack])).stdout,
        );
        const record = (state.deployment.resources as Array<{ urn: string; type: string; id: string }>).find(
            (r) => r.urn.endsWith("::moved"),
        );
        expect(record?.type).toBe("dovecot:index:Mailbox");
        expect(record?.id).toBe(before?.guid);
        // Refresh through the plugin finds it; nothing left to do.
        expect((await project.refresh()).code).toBe(0);
        expect(changedSteps(await project.preview())).toEqual([]);
    });

    it("destroy through both faces refuses the folder with mail until forceDestroy, then removes everything", async () => {
        const refused = await project.destroy({ allowFailure: true });
        expect(refused.code).not.toBe(0);
        expect(refused.output).toMatch(/"Moved"[\s\S]*holds 2 messages/);
        expect(await sandbox.status(ALICE, "Moved")).toMatchObject({ messages: 2 });
        setMode("plugin", true);
        await project.up();
        await project.destroy();
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
    });

    it("the plugin came from Pulumi.yaml: no command warned of one found on PATH", () => {
        expect(project.history.length).toBeGreaterThan(5);
        expect(warnedOfPluginOnPath(project.history)).toEqual([]);
    });

    it("configure, then the README's first programs in TypeScript: each face makes its folder, destroy deletes it", async () => {
        const first = await PulumiProject.create({ name: "first-program" });
        try {
            installNodeSdk(sdk, first.dir);
            // A TypeScript project as the examples have it: index.ts, type-checked under a strict tsconfig.
            rmSync(path.join(first.dir, "index.js"));
            copyFileSync(
                path.join(REPO_ROOT, "examples", "typescript", "tsconfig.json"),
                path.join(first.dir, "tsconfig.json"),
            );
            const manifest = path.join(first.dir, "package.json");
            writeFileSync(
                manifest,
                JSON.stringify({ ...JSON.parse(readFileSync(manifest, "utf8")), main: "index.ts" }, null, 2),
            );
            appendFileSync(
                path.join(first.dir, "Pulumi.yaml"),
                forClone(installBlock(path.join(REPO_ROOT, "README.md"), "clone-plugin").text, REPO_ROOT),
            );

            // The README's commands, as written: they store the endpoint, and the key as a secret.
            const configured = await runBlock(
                installBlock(path.join(REPO_ROOT, "README.md"), "configure").text,
                first.dir,
                first.env({ DOVEADM_API_KEY: sandbox.apiKey }),
            );
            expect(configured.result.code).toBe(0);
            const endpoint = await first.pulumi([
                "config",
                "get",
                "dovecot:endpoint",
                "--stack",
                first.stack,
            ]);
            expect(endpoint.stdout.trim()).toBe("http://mail.example.org:8080");
            const stackFile = readFileSync(path.join(first.dir, `Pulumi.${first.stack}.yaml`), "utf8");
            expect(stackFile).toMatch(/dovecot:apiKey:\s+secure: /);
            expect(stackFile).not.toContain(sandbox.apiKey);
            const key = await first.pulumi(["config", "get", "dovecot:apiKey", "--stack", first.stack]);
            expect(key.stdout.trim()).toBe(sandbox.apiKey);
            // Only loopback here: the sandbox stands in for mail.example.org.
            await first.setConfig("dovecot:endpoint", sandbox.endpoint);

            for (const [id, type] of [
                ["typescript-dynamic", "pulumi-nodejs:dynamic/dovecot:Mailbox"],
                ["typescript-package", "dovecot:index:Mailbox"],
            ] as const) {
                writeFileSync(path.join(first.dir, "index.ts"), readmeProgram(id));
                await first.up();
                const status = await sandbox.status(ALICE, "Archive/2026");
                expect({ id, guid: status?.guid }).toEqual({
                    id,
                    guid: expect.stringMatching(/^[0-9a-f]{32}$/),
                });
                expect({ id, exported: (await first.outputs()).guid }).toEqual({
                    id,
                    exported: status?.guid,
                });
                const state = JSON.parse(
                    (await first.pulumi(["stack", "export", "--stack", first.stack])).stdout,
                );
                const record = (state.deployment.resources as Array<{ urn: string; type: string }>).find(
                    (r) => r.urn.endsWith("::alice-archive"),
                );
                expect({ id, type: record?.type }).toEqual({ id, type });
                await first.destroy();
                expect({ id, after: await sandbox.status(ALICE, "Archive/2026") }).toEqual({
                    id,
                    after: undefined,
                });
            }
            expect(warnedOfPluginOnPath(first.history)).toEqual([]);
        } finally {
            first.cleanup();
        }
    });
});
