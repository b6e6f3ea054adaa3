// TypeScript with both faces of the package, through the real CLI: dynamic resources (pulumi-dovecot)
// and resources of the `dovecot` provider plugin (its generated Node.js SDK, sdk/nodejs) side by side in
// one program, on one server, each checked with doveadm; then a dynamic Mailbox moved to the plugin's
// Mailbox with `aliases`, as the README shows: no replacement, the same folder (GUID), its messages
// kept; refresh and destroy then go through the plugin. The SDK is the package `npm pack` makes of
// sdk/nodejs after its build; the plugin is this checkout's, named in Pulumi.yaml as the README shows
// (dist/plugin), so no command warns of a plugin found on PATH.
import { appendFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { warnedOfPluginOnPath } from "../harness/examples";
import { forClone, installBlock } from "../harness/install-lines";
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
});
