// examples/automation as a user runs it: the example's folder copied into a scratch app whose
// node_modules holds a real copy of @pulumi/pulumi and of this package (package.json + dist/provider),
// compiled there with the example's own tsconfig, and its functions called in this process (the
// Automation API drives the real `pulumi` CLI) against a sandbox Dovecot, checked with doveadm.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { MARK, killMarked } from "../harness/processes";
import { PACKAGE_VERSION } from "../harness/repo";
import {
    DIST_PROVIDER,
    REPO_ROOT,
    filesUnder,
    linkNodeModules,
    pulumiEnv,
    runCommand,
} from "../harness/pulumi";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

jest.setTimeout(180_000);

const ALICE = "alice@example.org";
const EXAMPLE = path.join(REPO_ROOT, "examples", "automation");
/** Every Automation API operation is aborted after this long. */
const OPERATION_TIMEOUT_MS = 120_000;

/** What the compiled examples/automation/provision.js exports (the parts this test calls). */
interface ExampleModule {
    provisionUser(
        user: string,
        folders: Array<string | { name: string; subscribed?: boolean; forceDestroy?: boolean }>,
        options?: { workDir?: string; onOutput?: (text: string) => void; signal?: AbortSignal },
    ): Promise<{ stack: string; changes: Record<string, number>; folders: Record<string, string> }>;
    closeAccount(
        user: string,
        options?: { workDir?: string; onOutput?: (text: string) => void; signal?: AbortSignal },
    ): Promise<boolean>;
    stackNameFor(user: string): string;
}

describe("examples/automation: provisioning folders with the Automation API", () => {
    let sandbox: Sandbox;
    let root: string;
    let app: string;
    let stateDir: string;
    let example: ExampleModule;
    let savedEnv: NodeJS.ProcessEnv;
    /** The mark of the processes the Automation API starts for this test (see processes.ts). */
    let mark: string | undefined;
    let output = "";
    const options = () => ({
        onOutput: (text: string) => (output += text),
        signal: AbortSignal.timeout(OPERATION_TIMEOUT_MS),
    });
    /** The example's default workDir: `accounts` beside the app's node_modules. */
    const workDir = () => path.join(app, "accounts");
    /** No file of the backend or the workspace, and no output, holds the API key or its base64. */
    const expectNoCredential = () => {
        const base64 = Buffer.from(sandbox.apiKey, "utf8").toString("base64");
        const files = [...filesUnder(stateDir), ...filesUnder(workDir())];
        expect(files.length).toBeGreaterThan(2);
        for (const file of files) {
            const text = readFileSync(file, "utf8");
            expect({ file, key: text.includes(sandbox.apiKey) }).toEqual({ file, key: false });
            expect({ file, base64: text.includes(base64) }).toEqual({ file, base64: false });
        }
        expect(output).toContain("Resources:");
        expect(output).not.toContain(sandbox.apiKey);
        expect(output).not.toContain(base64);
    };
    const stackFile = () => path.join(workDir(), `Pulumi.${example.stackNameFor(ALICE)}.yaml`);

    beforeAll(async () => {
        if (!existsSync(path.join(DIST_PROVIDER, "index.js")))
            throw new Error(`${DIST_PROVIDER} is missing: run \`npm run build\` first`);
        sandbox = await startDovecot({ users: ["alice"] });
        root = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-automation-"));
        app = path.join(root, "app");
        stateDir = path.join(root, "state");
        mkdirSync(stateDir, { recursive: true });

        // The user's install: `npm install` of the example's package.json (a real copy of the SDK, this
        // package as published: package.json and dist/provider; the rest linked from the repo's).
        linkNodeModules(path.join(app, "node_modules"));
        const installed = path.join(app, "node_modules", "pulumi-dovecot");
        mkdirSync(installed, { recursive: true });
        copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(installed, "package.json"));
        cpSync(DIST_PROVIDER, path.join(installed, "dist", "provider"), { recursive: true });
        // The example folder, copied unchanged, and built with its own tsconfig (`npm run build`).
        for (const file of ["package.json", "tsconfig.json", "provision.ts", "main.ts"])
            copyFileSync(path.join(EXAMPLE, file), path.join(app, file));
        await runCommand(
            process.execPath,
            [path.join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
            app,
            process.env,
            { timeoutMs: 120_000 },
        );

        // The service's environment: what the pulumi CLI needs (as for every lifecycle test) and the
        // server's settings, which the example reads from here.
        savedEnv = { ...process.env };
        const env = pulumiEnv(stateDir, {
            DOVEADM_ENDPOINT: sandbox.endpoint,
            DOVEADM_API_KEY: sandbox.apiKey,
        });
        for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
        Object.assign(process.env, env);
        mark = env[MARK];
        delete process.env.DOVECOT_ACCOUNTS_WORKDIR;

        example = require(path.join(app, "dist", "provision.js")) as ExampleModule;
    }, 15 * 60_000);

    afterAll(async () => {
        // The Automation API's pulumi commands have ended; anything they left is stopped.
        if (mark !== undefined) await killMarked(mark);
        if (savedEnv) {
            for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
            Object.assign(process.env, savedEnv);
        }
        if (root) rmSync(root, { recursive: true, force: true });
        await sandbox?.stop();
    });

    it("depends on a range of pulumi-dovecot that admits this version", () => {
        const version = PACKAGE_VERSION;
        const manifest = JSON.parse(readFileSync(path.join(EXAMPLE, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        // `^M.m.p` admits M.x.y from m.p on; `^0.m.p` admits only 0.m.x from p on.
        const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
        const match = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(manifest.dependencies["pulumi-dovecot"] ?? "");
        if (!match) throw new Error(`not a caret range: ${manifest.dependencies["pulumi-dovecot"]}`);
        const [wantMajor, wantMinor, wantPatch] = match.slice(1).map(Number) as [number, number, number];
        expect(major).toBe(wantMajor);
        if (major === 0) expect(minor).toBe(wantMinor);
        expect(minor * 1e6 + patch).toBeGreaterThanOrEqual(wantMinor * 1e6 + wantPatch);
    });

    it("provisions a new user's folders", async () => {
        const result = await example.provisionUser(
            ALICE,
            ["Archive", { name: "Receipts", subscribed: false }],
            {
                ...options(),
            },
        );

        expect(result.changes).toEqual({ create: 3 }); // the stack and two folders
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["Archive", "INBOX", "Receipts"]);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual(["Archive"]);
        expect(result.folders.Archive).toBe((await sandbox.status(ALICE, "Archive"))?.guid);
        // The workspace is the default one, beside the app's node_modules, and holds the user's stack.
        expect(existsSync(path.join(workDir(), "Pulumi.yaml"))).toBe(true);
        expect(existsSync(stackFile())).toBe(true);
        // The provider recorded in state is the installed package, loaded by name.
        const state = filesUnder(stateDir)
            .filter((file) => file.endsWith(`${result.stack}.json`))
            .map((file) => readFileSync(file, "utf8"))
            .join("\n");
        expect(state).toContain('require(\\"pulumi-dovecot/serialized/mailbox\\")');
    });

    it("provisioning again with one more folder adds only that folder", async () => {
        const before = await sandbox.mailboxes(ALICE);
        const result = await example.provisionUser(
            ALICE,
            ["Archive", { name: "Receipts", subscribed: false }, "Projects"],
            options(),
        );

        expect(result.changes).toEqual({ create: 1, same: 3 });
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["Archive", "INBOX", "Projects", "Receipts"]);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual(["Archive", "Projects"]);
        const after = await sandbox.mailboxes(ALICE);
        for (const name of ["Archive", "Receipts"])
            expect(after.find((m) => m.name === name)?.guid).toBe(before.find((m) => m.name === name)?.guid);
    });

    it("an error of the CLI does not quote the API key", async () => {
        // `pulumi config set-all` gets the key as an argument, and its errors quote the command line.
        const passphrase = process.env.PULUMI_CONFIG_PASSPHRASE;
        process.env.PULUMI_CONFIG_PASSPHRASE = "not the stack's passphrase";
        try {
            const failure = await example.provisionUser(ALICE, ["Archive"], options()).then(
                () => new Error("provisionUser succeeded with a wrong passphrase"),
                (error: unknown) => error as Error,
            );
            expect(failure.message).toMatch(/incorrect passphrase/);
            expect(failure.message).toContain("[secret]");
            expect(failure.message).not.toContain(sandbox.apiKey);
            expect(failure.stack ?? "").not.toContain(sandbox.apiKey);
        } finally {
            process.env.PULUMI_CONFIG_PASSPHRASE = passphrase;
        }
        // Nothing changed on the server.
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["Archive", "INBOX", "Projects", "Receipts"]);
    });

    it("keeps no credential in the backend, the workspace or the output", () => {
        expectNoCredential();
        // The key is in the user's stack settings, encrypted with the passphrase.
        expect(readFileSync(stackFile(), "utf8")).toMatch(/dovecot:apiKey:\s+secure: /);
    });

    it("closing the account keeps a folder holding mail, unless it is declared with forceDestroy", async () => {
        await sandbox.deliver(ALICE, "Projects", 1);

        await expect(example.closeAccount(ALICE, options())).rejects.toThrow(/Projects/);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX", "Projects"]);
        expect((await sandbox.status(ALICE, "Projects"))?.messages).toBe(1);
        expect(existsSync(stackFile())).toBe(true);

        // What the README says to do: declare it with forceDestroy, then close again.
        const result = await example.provisionUser(
            ALICE,
            [{ name: "Projects", forceDestroy: true }],
            options(),
        );
        expect(result.changes).toEqual({ update: 1, same: 1 });
    });

    it("closing the account deletes the folders and removes the stack", async () => {
        expect(await example.closeAccount(ALICE, options())).toBe(true);

        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
        expect(await sandbox.listSubscriptions(ALICE)).toEqual([]);
        expect(existsSync(stackFile())).toBe(false);
        const stacks = path.join(stateDir, ".pulumi", "stacks", "dovecot-accounts");
        expect(existsSync(path.join(stacks, `${example.stackNameFor(ALICE)}.json`))).toBe(false);
        // A second close finds no stack.
        expect(await example.closeAccount(ALICE, options())).toBe(false);
        // What the file backend keeps of a removed stack (backups, .bak) holds no credential either.
        expectNoCredential();
    });
});
