// The README's install line, as a new user runs it: `npm install` of this repository by git URL (the
// `prepare` script builds dist/, which git does not hold) into an empty project, which then gets the
// package and its peer @pulumi/pulumi from npm, and a program in that project provisions a folder with
// the real `pulumi` CLI. The line is the README's (its `package-git` install block) as written, the
// repository's URL being a scratch repository whose tag v<version> is this checkout's HEAD commit (what
// CI checks out).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { installBlock, runBlock, userEnv } from "../harness/install-lines";
import { CommandResult, REPO_ROOT, pulumiEnv, runCommand } from "../harness/pulumi";
import { MARK, newMark } from "../harness/processes";
import { PACKAGE_VERSION } from "../harness/repo";
import { ALICE } from "../harness/accounts";

jest.setTimeout(600_000);

describe("installing from a git URL", () => {
    let sandbox: Sandbox;
    let root: string;
    let project: string;
    let env: NodeJS.ProcessEnv;
    const run = async (command: string, args: string[], timeoutMs = 180_000): Promise<CommandResult> => {
        const result = await runCommand(command, args, project, env, { timeoutMs, allowFailure: true });
        if (result.code !== 0)
            throw new Error(
                `${command} ${args.join(" ")} exited ${result.code}:\n${result.output.slice(-4000)}`,
            );
        return result;
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        root = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-git-install-"));
        project = path.join(root, "project");
        execFileSync("mkdir", ["-p", project, path.join(root, "state")]);
        env = pulumiEnv(path.join(root, "state"));
        // As a user's shell has it: `npm test --ignore-scripts` (how CI runs the second pass) exports
        // npm_config_ignore_scripts, which would stop npm running the package's `prepare`.
        delete env.npm_config_ignore_scripts;
    });
    afterAll(async () => {
        rmSync(root, { recursive: true, force: true });
        await sandbox?.stop();
    });

    it("the README's npm install git+…#v<version> builds the package, and a program using it provisions a folder", async () => {
        const commit = execFileSync("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"], {
            encoding: "utf8",
        }).trim();
        const version = PACKAGE_VERSION;
        // The repository a user's URL names: here a scratch one whose tag (and main branch, its HEAD,
        // which npm's git resolution reads) is this commit.
        const repository = path.join(root, "pulumi-dovecot.git");
        execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", repository]);
        execFileSync("git", [
            "-C",
            REPO_ROOT,
            "push",
            "--quiet",
            repository,
            `${commit}:refs/heads/main`,
            `${commit}:refs/tags/v${version}`,
        ]);
        writeFileSync(
            path.join(project, "package.json"),
            JSON.stringify(
                { name: "mail-setup", version: "1.0.0", private: true, main: "index.js" },
                null,
                2,
            ),
        );
        const line = installBlock(path.join(REPO_ROOT, "README.md"), "package-git").text;
        const url = "git+https://<host>/<owner>/pulumi-dovecot.git";
        expect(line).toContain(`${url}#v${version}`);
        await runBlock(
            line.split(url).join(`git+file://${repository}`),
            project,
            {
                ...userEnv(env),
                [MARK]: newMark(),
            },
            { timeoutMs: 540_000 },
        );
        const installed = path.join(project, "node_modules", "pulumi-dovecot");
        // Built by `prepare` in npm's clone: git holds no dist/.
        expect(existsSync(path.join(installed, "dist", "provider", "index.js"))).toBe(true);
        expect(existsSync(path.join(installed, "provider"))).toBe(false); // only what "files" lists
        // The peer dependency came along, as npm installs peers.
        expect(existsSync(path.join(project, "node_modules", "@pulumi", "pulumi", "package.json"))).toBe(
            true,
        );

        writeFileSync(
            path.join(project, "Pulumi.yaml"),
            "name: mail-setup\nruntime: nodejs\nmain: index.js\n",
        );
        writeFileSync(
            path.join(project, "index.js"),
            [
                '"use strict";',
                'const dovecot = require("pulumi-dovecot");',
                `const box = new dovecot.Mailbox("archive", { user: ${JSON.stringify(ALICE)}, name: "Archive" });`,
                "exports.guid = box.guid;",
                "",
            ].join("\n"),
        );
        await run("pulumi", ["stack", "init", "test", "--non-interactive"]);
        await run("pulumi", ["config", "set", "dovecot:endpoint", sandbox.endpoint, "--plaintext"]);
        await runCommand("pulumi", ["config", "set", "--secret", "dovecot:apiKey"], project, env, {
            input: sandbox.apiKey,
        });
        await run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"]);
        const guid = (await run("pulumi", ["stack", "output", "guid"])).stdout.trim();
        expect((await sandbox.status(ALICE, "Archive"))?.guid).toBe(guid);
        // The state refers to the package by name, as installed (not by a path into npm's clone).
        const state = (await run("pulumi", ["stack", "export"])).stdout;
        expect(state).toContain('require(\\"pulumi-dovecot/serialized/mailbox\\")');

        await run("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"]);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
    });
});
