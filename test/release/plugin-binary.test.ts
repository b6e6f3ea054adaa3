// The plugin as a release ships it, through the real CLI: one executable that needs no Node.js
// (scripts/build-plugin-binary.sh: the plugin bundled and built into a Node.js single executable
// application), in a tarball that `pulumi plugin install resource dovecot <version> --file` installs;
// then a YAML program runs `up` and `destroy` with nothing but the CLI and the YAML language host on
// PATH (no node, no node_modules/.bin), the plugin taken from the plugin cache.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { REPO_ROOT, pulumiBinDir, pulumiEnv, runCommand } from "../harness/pulumi";
import { PACKAGE_VERSION as VERSION } from "../harness/repo";
import { ALICE } from "../harness/accounts";

jest.setTimeout(600_000);

describe("the plugin's release asset", () => {
    let sandbox: Sandbox;
    let root: string;
    let tarball: string;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        root = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-binary-"));
        execFileSync(
            "bash",
            [
                path.join(REPO_ROOT, "scripts", "build-plugin-binary.sh"),
                path.join(REPO_ROOT, "dist", "provider", "plugin", "main.js"),
                path.join(root, "dist", "pulumi-resource-dovecot"),
                "--tarball",
                VERSION,
            ],
            { stdio: ["ignore", "pipe", "pipe"], timeout: 10 * 60_000 },
        );
        tarball = path.join(root, "dist", `pulumi-resource-dovecot-v${VERSION}-linux-amd64.tar.gz`);
    });
    afterAll(async () => {
        if (root) rmSync(root, { recursive: true, force: true });
        await sandbox?.stop();
    });

    it("is one executable holding its own runtime, in a tarball laid out for pulumi plugin install", () => {
        const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
        expect(listing).toEqual(["pulumi-resource-dovecot"]);
        // Node's own binary is inside (tens of MB), so no Node.js is needed to run it.
        expect(statSync(path.join(root, "dist", "pulumi-resource-dovecot")).size).toBeGreaterThan(50 << 20);
    });

    it("installs with pulumi plugin install --file and runs a YAML program with no Node.js on PATH", async () => {
        const home = path.join(root, "pulumi-home");
        const state = path.join(root, "state");
        const project = path.join(root, "project");
        for (const dir of [home, state, project]) mkdirSync(dir, { recursive: true });
        const langhosts = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-langhosts.sh")], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 40 * 60_000,
        })
            .trim()
            .split("\n")
            .pop() as string;
        const env = pulumiEnv(state, { PULUMI_HOME: home });
        // Only the CLI and the YAML host: no node, no node_modules/.bin, no system folders.
        env.PATH = [pulumiBinDir(), langhosts].join(path.delimiter);
        const pulumi = (args: string[], input?: string) =>
            runCommand(path.join(pulumiBinDir(), "pulumi"), args, project, env, {
                input,
                timeoutMs: 180_000,
            });
        await pulumi(["plugin", "install", "resource", "dovecot", VERSION, "--file", tarball]);
        const installed = await pulumi(["plugin", "ls"]);
        expect(installed.output).toMatch(
            new RegExp(`dovecot\\s+resource\\s+${VERSION.replace(/\./g, "\\.")}`),
        );
        writeFileSync(
            path.join(project, "Pulumi.yaml"),
            [
                "name: binary",
                "runtime: yaml",
                "resources:",
                "  box:",
                "    type: dovecot:index:Mailbox",
                "    properties:",
                `      user: ${ALICE}`,
                "      name: FromBinary",
                "    options:",
                `      version: ${VERSION}`,
                "",
            ].join("\n"),
        );
        await pulumi(["stack", "init", "test", "--non-interactive"]);
        await pulumi(["config", "set", "dovecot:endpoint", sandbox.endpoint]);
        await pulumi(["config", "set", "--secret", "dovecot:apiKey"], sandbox.apiKey);
        const up = await pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
        expect(up.output).not.toMatch(/using pulumi-resource-dovecot from \$PATH/);
        expect(await sandbox.status(ALICE, "FromBinary")).toBeDefined();
        await pulumi(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
        expect(await sandbox.status(ALICE, "FromBinary")).toBeUndefined();
    });
});
