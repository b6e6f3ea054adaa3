// The TypeScript example (examples/typescript/) as a user runs it: the folder copied into a project
// laid out like a user's install (the SDK, this package, typescript, ts-node and @types/node under
// node_modules), the stack configured as its README says, then `pulumi up`, `preview`, an edit of the
// configuration snippet and `destroy` through the real CLI, whose Node.js language host runs index.ts
// through ts-node. The server's state is read with doveadm and reloads are counted in its own log.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as semver from "semver";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { PulumiProject, REPO_ROOT, changedSteps, occurrences } from "../harness/pulumi";

jest.setTimeout(300_000);

const run = promisify(execFile);
const EXAMPLE = path.join(REPO_ROOT, "examples", "typescript");
const USERS = ["alice@example.org", "bob@example.org"];
const SNIPPET = path.join("conf.d", "90-example.conf");

interface Folder {
    name: string;
    subscribed?: boolean;
    renamedFrom?: string;
}

interface Manifest {
    name?: string;
    version?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/** `tsc -p <dir> --noEmit` with the project's own TypeScript; never rejects. */
async function typecheck(dir: string): Promise<{ code: number; output: string }> {
    const tsc = path.join(dir, "node_modules", "typescript", "bin", "tsc");
    try {
        await run(process.execPath, [tsc, "-p", dir, "--noEmit"], { cwd: dir, timeout: 120_000 });
        return { code: 0, output: "" };
    } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === "number" ? e.code : -1, output: `${e.stdout}${e.stderr}` };
    }
}

/** The same program with a misspelt MailboxArgs property, which only the package's types catch. */
function withTypeError(program: string): string {
    return `${program}\nnew dovecot.Mailbox("typo", { user: "alice@example.org", name: "Typo", subscribe: false });\n`;
}

describe("examples/typescript through the pulumi CLI and ts-node", () => {
    let project: PulumiProject;
    let sandbox: Sandbox;
    let serverDir: string;
    const layout = readJson<Folder[]>(path.join(EXAMPLE, "layout.json"));
    const projectName = /^name:\s*(\S+)\s*$/m.exec(
        readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8"),
    )?.[1];
    const reloads = () => occurrences(sandbox.log(), "SIGHUP received");
    const programFile = () => path.join(project.dir, "index.ts");
    /** Writes the snippet where the program hashes it and where the server includes it (a deployment's job). */
    const writeSnippet = (text: string) => {
        writeFileSync(path.join(project.dir, SNIPPET), text);
        writeFileSync(path.join(serverDir, SNIPPET), text);
    };

    beforeAll(async () => {
        // The stack is made for the example's project name, then the generated program is swapped for
        // a copy of the example folder, as a user copies it.
        project = await PulumiProject.create({ name: projectName });
        rmSync(path.join(project.dir, "index.js"));
        rmSync(path.join(project.dir, "resources.json"));
        cpSync(EXAMPLE, project.dir, {
            recursive: true,
            filter: (source) => !/[/\\](node_modules|bin)$/.test(source),
        });
        // The server includes its own copy of the snippet, from inside its folder (Dovecot 2.4 runs in
        // a root that sees only that folder); `!include`, not `!include_try`, so a missing file fails.
        serverDir = mkdtempSync(path.join(os.tmpdir(), "dovecot-example-"));
        cpSync(path.join(EXAMPLE, "conf.d"), path.join(serverDir, "conf.d"), { recursive: true });
        sandbox = await startDovecot({
            dir: serverDir,
            users: USERS.map((user) => user.split("@")[0]!),
            extraConfig: [`!include ${path.join(serverDir, SNIPPET)}`],
        });
        // As examples/typescript/README.md tells a user.
        await project.setConfig("dovecot:endpoint", sandbox.endpoint);
        await project.setConfig("dovecot:apiKey", sandbox.apiKey, { secret: true });
        await project.setConfig(
            "folders:layout",
            readFileSync(path.join(project.dir, "layout.json"), "utf8"),
        );
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
        if (serverDir) rmSync(serverDir, { recursive: true, force: true });
    });

    it("the folder is a complete project: versions the SDK accepts, the README's commands", () => {
        expect(projectName).toBeTruthy();
        const example = readJson<Manifest>(path.join(EXAMPLE, "package.json"));
        const ours = readJson<Manifest>(path.join(REPO_ROOT, "package.json"));
        const sdk = readJson<Manifest>(
            path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"),
        );
        const deps = example.dependencies ?? {};
        const devDeps = example.devDependencies ?? {};
        expect(Object.keys(deps).sort()).toEqual(["@pulumi/pulumi", "pulumi-dovecot"]);
        expect(semver.satisfies(ours.version!, deps["pulumi-dovecot"]!)).toBe(true);
        expect(semver.subset(deps["@pulumi/pulumi"]!, ours.peerDependencies!["@pulumi/pulumi"]!)).toBe(true);
        expect(semver.satisfies(sdk.version!, deps["@pulumi/pulumi"]!)).toBe(true);
        for (const tool of ["typescript", "ts-node"]) {
            expect(semver.subset(devDeps[tool]!, sdk.peerDependencies![tool]!)).toBe(true);
            const installed = readJson<Manifest>(path.join(REPO_ROOT, "node_modules", tool, "package.json"));
            expect(semver.satisfies(installed.version!, devDeps[tool]!)).toBe(true);
        }
        expect(devDeps["@types/node"]).toBeDefined();

        const readme = readFileSync(path.join(EXAMPLE, "README.md"), "utf8");
        expect(readme).not.toContain("folders:users");
        for (const line of [
            "pulumi config set dovecot:endpoint",
            "pulumi config set --secret dovecot:apiKey",
            'pulumi config set folders:layout "$(cat layout.json)"',
            "pulumi up",
        ])
            expect(readme).toContain(line);
    });

    it("type-checks under its strict tsconfig, and a type error in a copy fails the check", async () => {
        const good = await typecheck(project.dir);
        expect(good).toEqual({ code: 0, output: "" });

        const bad = path.join(project.root, "bad");
        cpSync(EXAMPLE, bad, {
            recursive: true,
            filter: (source) => !/[/\\](node_modules|bin)$/.test(source),
        });
        symlinkSync(path.join(project.dir, "node_modules"), path.join(bad, "node_modules"), "dir");
        writeFileSync(
            path.join(bad, "index.ts"),
            withTypeError(readFileSync(path.join(bad, "index.ts"), "utf8")),
        );
        const result = await typecheck(bad);
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(
            /error TS\d+: .*'subscribe' does not exist in type .*Did you mean to write 'subscribed'\?/,
        );
    });

    it("pulumi up gives each user the layout's folders and subscriptions, and reloads once", async () => {
        expect(reloads()).toBe(0);
        await project.up();

        const names = layout.map((folder) => folder.name);
        const subscribed = layout
            .filter((folder) => folder.subscribed !== false)
            .map((folder) => folder.name);
        const outputs = await project.outputs();
        const guids = outputs.mailboxes as unknown as Record<string, Record<string, string>>;
        for (const user of USERS) {
            expect((await sandbox.listMailboxes(user)).sort()).toEqual(["INBOX", ...names].sort());
            expect((await sandbox.listSubscriptions(user)).sort()).toEqual([...subscribed].sort());
            for (const name of names)
                expect(guids[user]?.[name]).toBe((await sandbox.status(user, name))?.guid);
        }
        expect(await project.stateResources()).toHaveLength(USERS.length * names.length + 1);
        expect(reloads()).toBe(1);
        expect(outputs.snippetSha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it("preview right after up shows no changes", async () => {
        expect(changedSteps(await project.preview())).toEqual([]);
        expect(reloads()).toBe(1);
    });

    it("the language host type-checks the program: a type error stops it before anything is sent", async () => {
        const program = readFileSync(programFile(), "utf8");
        writeFileSync(programFile(), withTypeError(program));
        try {
            const result = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
                allowFailure: true,
            });
            expect(result.code).not.toBe(0);
            expect(result.output).toContain("TSError: ⨯ Unable to compile TypeScript");
            expect(result.output).toMatch(
                /error TS\d+: .*'subscribe' does not exist in type .*Did you mean to write 'subscribed'\?/,
            );
        } finally {
            writeFileSync(programFile(), program);
        }
        expect(await sandbox.listMailboxes(USERS[0]!)).not.toContain("Typo");
        expect(reloads()).toBe(1);
    });

    it("editing the snippet triggers exactly one reload", async () => {
        const before = readFileSync(path.join(project.dir, SNIPPET), "utf8");
        writeSnippet(
            before.replace("imap_idle_notify_interval = 2 mins", "imap_idle_notify_interval = 3 mins"),
        );
        expect(readFileSync(path.join(project.dir, SNIPPET), "utf8")).not.toBe(before);

        expect(changedSteps(await project.preview())).toEqual(["update config-snippet"]);
        await project.up();
        expect(reloads()).toBe(2);
        // The server answers again, and the next run has nothing to do.
        expect(changedSteps(await project.preview())).toEqual([]);
        expect(reloads()).toBe(2);
    });

    it("a folder renamed in the layout with renamedFrom is renamed in place: same GUID, its mail kept", async () => {
        const from = "Receipts";
        const to = "Invoices";
        expect(layout.map((folder) => folder.name)).toContain(from);
        const before: Record<string, string | undefined> = {};
        for (const user of USERS) {
            await sandbox.deliver(user, from, 2);
            before[user] = (await sandbox.status(user, from))?.guid;
            expect(before[user]).toMatch(/^[0-9a-f]{32}$/);
        }
        const renamed = layout.map((folder) =>
            folder.name === from ? { ...folder, name: to, renamedFrom: from } : folder,
        );
        await project.setConfig("folders:layout", JSON.stringify(renamed));

        expect(changedSteps(await project.preview()).sort()).toEqual(
            USERS.map((user) => `update ${user}/${to}`).sort(),
        );
        await project.up();
        for (const user of USERS) {
            const names = await sandbox.listMailboxes(user);
            expect(names).toContain(to);
            expect(names).not.toContain(from);
            expect(await sandbox.status(user, to)).toMatchObject({ guid: before[user], messages: 2 });
        }
        expect(changedSteps(await project.preview())).toEqual([]);
        // Mail in the renamed folders: destroy may delete it now (the test's own mail).
        for (const user of USERS) await sandbox.doveadm(["expunge", "-u", user, "mailbox", to, "all"]);
        expect(reloads()).toBe(2);
    });

    it("a user added to the server's user database gets the layout at the next up", async () => {
        // The layout as it is now (after the rename above): what alice has.
        const folders = (await sandbox.listMailboxes(USERS[0]!)).filter((name) => name !== "INBOX");
        const dave = await sandbox.addUser("dave");
        expect(changedSteps(await project.preview()).sort()).toEqual(
            folders.map((name) => `create ${dave.name}/${name}`).sort(),
        );
        await project.up();
        expect((await sandbox.listMailboxes(dave.name)).sort()).toEqual(["INBOX", ...folders].sort());
        const outputs = await project.outputs();
        expect(Object.keys(outputs.mailboxes as object).sort()).toEqual([...USERS, dave.name].sort());
        expect(changedSteps(await project.preview())).toEqual([]);
        // destroy, next, removes dave's folders too.
        USERS.push(dave.name);
    });

    it("destroy removes every folder and does not reload", async () => {
        await project.destroy();
        for (const user of USERS) {
            expect(await sandbox.listMailboxes(user)).toEqual(["INBOX"]);
            expect(await sandbox.listSubscriptions(user)).toEqual([]);
        }
        expect(await project.stateResources()).toEqual([]);
        expect(reloads()).toBe(2);
    });
});
