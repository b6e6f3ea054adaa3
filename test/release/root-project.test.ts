// The repository's own Pulumi project (Pulumi.yaml at the root): `pulumi up` from the root of a clone
// runs examples/typescript against the stack's configuration, as CONTRIBUTING.md says, with the package
// built from the checkout (node_modules/pulumi-dovecot links the repository). Run in the repository
// itself, with a backend and a stack configuration file of the test's own.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { CommandResult, REPO_ROOT, pulumiEnv, runCommand } from "../harness/pulumi";

jest.setTimeout(300_000);

const USERS = ["alice@example.org", "bob@example.org"];

describe("pulumi up from the root of a clone", () => {
    let sandbox: Sandbox;
    let dir: string;
    let configFile: string;
    const pulumi = (args: string[], input?: string): Promise<CommandResult> =>
        runCommand(
            "pulumi",
            [...args, "--config-file", configFile, "--non-interactive"],
            REPO_ROOT,
            pulumiEnv(path.join(dir, "state")),
            {
                input,
                timeoutMs: 240_000,
            },
        );

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        dir = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-root-"));
        configFile = path.join(dir, "Pulumi.dev.yaml");
        mkdirSync(path.join(dir, "state"));
    });
    afterAll(async () => {
        if (dir) rmSync(dir, { recursive: true, force: true });
        await sandbox?.stop();
    });

    it("runs the TypeScript example against the stack's configuration, then destroys it", async () => {
        expect(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")).toMatch(
            /^main: examples\/typescript\/index\.ts$/m,
        );
        await runCommand(
            "pulumi",
            ["stack", "init", "dev", "--non-interactive"],
            REPO_ROOT,
            pulumiEnv(path.join(dir, "state")),
        );
        // The commands of CONTRIBUTING.md's "Getting started" section.
        await pulumi(["config", "set", "dovecot:endpoint", sandbox.endpoint]);
        await pulumi(["config", "set", "--secret", "dovecot:apiKey"], sandbox.apiKey);
        await pulumi(["config", "set", "folders:users", JSON.stringify(USERS)]);
        await pulumi([
            "config",
            "set",
            "folders:layout",
            readFileSync(path.join(REPO_ROOT, "examples", "typescript", "layout.json"), "utf8"),
        ]);
        await pulumi(["up", "--yes", "--skip-preview"]);
        const layout = JSON.parse(
            readFileSync(path.join(REPO_ROOT, "examples", "typescript", "layout.json"), "utf8"),
        ) as Array<{ name: string }>;
        for (const user of USERS) {
            const folders = await sandbox.listMailboxes(user);
            for (const folder of layout) expect(folders).toContain(folder.name);
        }
        const again = await pulumi(["preview", "--expect-no-changes"]);
        expect(again.code).toBe(0);
        await pulumi(["destroy", "--yes", "--skip-preview"]);
        for (const user of USERS) expect(await sandbox.listMailboxes(user)).toEqual(["INBOX"]);
    });
});
