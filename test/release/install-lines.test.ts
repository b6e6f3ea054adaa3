// The install lines for a clone, each run as written by a user's shell in a copy of this checkout (the
// files git would commit, nothing built), `/path/to/pulumi-dovecot` being that copy
// (test/harness/install-lines.ts reads the marked blocks out of the README and the installation page,
// docs/installation-configuration.md): `npm install && npm run build` in the copy, the plugin's release
// asset built there, the language hosts put on PATH, then each SDK installed into a project of its
// language outside the copy, whose Pulumi.yaml names the copy's plugin as the README shows. A
// JavaScript program using the Node.js SDK runs `up` through the CLI against a sandbox Dovecot (checked
// with doveadm) and `destroy`; the README's first programs in Python, Go and YAML, as written there,
// preview their Mailbox. No folder on PATH holds a pulumi-resource-dovecot, and no command prints the
// engine's warning about one found there. Also: every install block of the documents is run by some
// test, and the blocks and the examples name this package's version.
import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    readdirSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { pythonSdkVersion, warnedOfPluginOnPath } from "../harness/examples";
import {
    copyCheckout,
    documentedBlock,
    documentedBlocks,
    forClone,
    readmeProgram,
    runBlock,
    userShellEnv,
} from "../harness/install-lines";
import { CommandResult, PreviewResult, REPO_ROOT, parseJson, runCommand } from "../harness/pulumi";
import { PACKAGE_VERSION as VERSION, pulumiSdkVersion } from "../harness/repo";

jest.setTimeout(600_000);

const ALICE = "alice@example.org";
/** Which test file runs each install block of the README and the installation page. */
const RUN_BY: Record<string, string> = {
    "package-git": "install-from-git.test.ts",
    "package-tarball": "publish-ready.test.ts",
    "plugin-tarball": "publish-ready.test.ts",
    "plugin-binary": "install-lines.test.ts",
    "clone-build": "install-lines.test.ts",
    "clone-plugin": "install-lines.test.ts",
    langhosts: "install-lines.test.ts",
    "python-path": "install-lines.test.ts",
    "python-sdk": "install-lines.test.ts",
    "go-sdk": "install-lines.test.ts",
    "nodejs-sdk": "install-lines.test.ts",
    configure: "plugin-typescript.test.ts",
};

/** The test's own program for the Node.js SDK: one Mailbox of the user, its GUID exported. */
const JAVASCRIPT_PROGRAM = [
    '"use strict";',
    'const dovecot = require("@pulumi-dovecot/dovecot");',
    `const box = new dovecot.Mailbox("archive", { user: "${ALICE}", name: "FromNodeSdk" });`,
    "exports.guid = box.guid;",
    "",
].join("\n");

/** Every name of a folder, recursively, relative to it. */
function listing(dir: string, prefix = ""): string[] {
    return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
        const rel = path.posix.join(prefix, e.name);
        return e.isDirectory() ? [`${rel}/`, ...listing(dir, rel)] : [rel];
    });
}

describe("the install lines of the README and the installation page, from a clone", () => {
    let work: string;
    /** The copy of this checkout: /path/to/pulumi-dovecot. */
    let clone: string;
    let sandbox: Sandbox;
    /** What the blocks run so far exported (PATH after the language hosts' block). */
    let exported: Record<string, string> = {};
    const history: CommandResult[] = [];

    /** A user's shell: their Node.js (22 or later) and Pulumi CLI on PATH, and nothing with the plugin. */
    const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
        userShellEnv(work, {
            env: { PIP_CONSTRAINT: path.join(work, "pip-constraints.txt"), ...exported, ...extra },
        });
    /** Runs the documents' block `id` as written in `cwd`; keeps what it exports for what follows. */
    const block = async (id: string, cwd: string, timeoutMs = 300_000) => {
        const found = documentedBlock(id);
        const ran = await runBlock(forClone(found.text, clone), cwd, env(), { timeoutMs });
        history.push({ ...ran.result, args: [`${found.document} block ${id}`] });
        exported = { ...exported, ...ran.exported };
        return ran;
    };
    /** Runs a command of the test's own (not the README's) in `cwd`; rejects on failure. */
    const run = async (command: string, args: string[], cwd: string, timeoutMs = 300_000) => {
        const result = await runCommand(command, args, cwd, env(), { timeoutMs });
        history.push(result);
        return result;
    };
    /**
     * A project folder outside the clone: its Pulumi.yaml (`name` and `runtime`, or the whole program
     * of a YAML project) then the clone's plugin, as the README shows.
     */
    const project = (name: string, runtime: string, files: Record<string, string>, pulumiYaml?: string) => {
        const dir = path.join(work, name);
        mkdirSync(dir, { recursive: true });
        const plugins = forClone(documentedBlock("clone-plugin").text, clone);
        writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            `${pulumiYaml ?? `name: ${name}\nruntime: ${runtime}\n`}${plugins}`,
        );
        for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
        return dir;
    };
    /** `pulumi stack init`, the server's settings, then `pulumi preview --json` of a project. */
    const preview = async (dir: string): Promise<PreviewResult> => {
        await run("pulumi", ["stack", "init", "test", "--non-interactive"], dir);
        await run("pulumi", ["config", "set", "dovecot:endpoint", sandbox.endpoint], dir);
        const secret = await runCommand(
            "pulumi",
            ["config", "set", "--secret", "dovecot:apiKey"],
            dir,
            env(),
            {
                input: sandbox.apiKey,
            },
        );
        history.push(secret);
        const result = await run("pulumi", ["preview", "--json", "--non-interactive"], dir);
        return parseJson<PreviewResult>(result.stdout, "pulumi preview --json");
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        work = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-install-lines-"));
        clone = path.join(work, "pulumi-dovecot");
        copyCheckout(clone);
        mkdirSync(path.join(work, "state"));
        writeFileSync(path.join(work, "pip-constraints.txt"), `pulumi==${pythonSdkVersion()}\n`);
    });
    afterAll(async () => {
        if (work) rmSync(work, { recursive: true, force: true });
        await sandbox?.stop();
    });

    it("every install block of the README and the installation page is run by a test; each names this package's version", () => {
        const blocks = documentedBlocks();
        expect(blocks.map((b) => b.id).sort()).toEqual(Object.keys(RUN_BY).sort());
        // Each block's test names it (it reads the block by its id).
        for (const [id, file] of Object.entries(RUN_BY)) {
            const text = existsSync(path.join(__dirname, file))
                ? readFileSync(path.join(__dirname, file), "utf8")
                : "";
            expect({ id, file, named: text.includes(`"${id}"`) }).toEqual({ id, file, named: true });
        }
        // A version in a block is this package's (a release changes them all at once).
        for (const b of blocks)
            for (const [found] of b.text.matchAll(/\d+\.\d+\.\d+/g))
                expect({ block: b.id, version: found }).toEqual({ block: b.id, version: VERSION });
    });

    it("the examples pin this package's version", () => {
        const examples = path.join(REPO_ROOT, "examples");
        const read = (...parts: string[]) => readFileSync(path.join(examples, ...parts), "utf8");
        const dependency = (name: string) =>
            (JSON.parse(read(name, "package.json")) as { dependencies: Record<string, string> }).dependencies[
                "pulumi-dovecot"
            ];
        expect(dependency("typescript")).toBe(VERSION);
        // The Automation API service takes fixes of the same minor version (its test says why).
        expect(dependency("automation")).toBe(`^${VERSION}`);
        expect(read("python", "requirements.txt")).toMatch(
            new RegExp(`^pulumi_dovecot==${VERSION.replace(/\./g, "\\.")}$`, "m"),
        );
        expect(read("go", "go.mod")).toContain(
            `\tgithub.com/pulumi-dovecot/pulumi-dovecot/sdk/go v${VERSION}\n`,
        );
        for (const language of ["yaml", "python", "go"])
            expect({
                language,
                pinned: read(language, "Pulumi.yaml").includes(
                    `- name: dovecot\n          version: ${VERSION}\n`,
                ),
            }).toEqual({
                language,
                pinned: true,
            });
    });

    it("clone-build: npm install && npm run build builds the package and the plugin folder", async () => {
        await block("clone-build", work, 540_000);
        const launcher = path.join(clone, "dist", "plugin", "pulumi-resource-dovecot");
        expect(statSync(launcher).mode & 0o111).not.toBe(0);
        expect(existsSync(path.join(clone, "dist", "provider", "plugin", "main.js"))).toBe(true);
    });

    it("plugin-binary: the clone builds the plugin's release asset", async () => {
        await block("plugin-binary", work);
        const tarball = path.join(clone, "out", `pulumi-resource-dovecot-v${VERSION}-linux-amd64.tar.gz`);
        const listed = await run("tar", ["-tzf", tarball], work);
        expect(listed.stdout.trim().split("\n")).toEqual(["pulumi-resource-dovecot"]);
    });

    it("langhosts: puts the YAML, Python and Go language hosts on PATH", async () => {
        const ran = await block("langhosts", work, 30 * 60_000);
        expect(ran.exported.PATH).toBeDefined();
        const found = await run(
            "bash",
            ["-c", "command -v pulumi-language-yaml pulumi-language-python pulumi-language-go"],
            work,
        );
        expect(found.stdout.trim().split("\n")).toHaveLength(3);
    });

    it("nodejs-sdk: a JavaScript program using the SDK of the clone runs up and destroy with the clone's plugin", async () => {
        const pulumiVersion = pulumiSdkVersion();
        // A user's project: it has @pulumi/pulumi (this repository's version, not newer than the CLI).
        const dir = project("node-sdk", "nodejs", {
            "package.json": JSON.stringify({
                name: "node-sdk",
                version: "1.0.0",
                private: true,
                main: "index.js",
                dependencies: { "@pulumi/pulumi": pulumiVersion },
            }),
            "index.js": JAVASCRIPT_PROGRAM,
        });
        await block("nodejs-sdk", dir);
        expect(existsSync(path.join(clone, "sdk", "nodejs", "bin", "index.js"))).toBe(true);
        const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        expect(manifest.dependencies["@pulumi-dovecot/dovecot"]).toMatch(/^file:/);

        await run("pulumi", ["stack", "init", "test", "--non-interactive"], dir);
        await run("pulumi", ["config", "set", "dovecot:endpoint", sandbox.endpoint], dir);
        history.push(
            await runCommand("pulumi", ["config", "set", "--secret", "dovecot:apiKey"], dir, env(), {
                input: sandbox.apiKey,
            }),
        );
        await run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], dir);
        const status = await sandbox.status(ALICE, "FromNodeSdk");
        expect(status?.guid).toMatch(/^[0-9a-f]{32}$/);
        const outputs = await run("pulumi", ["stack", "output", "--json"], dir);
        expect(parseJson<{ guid: string }>(outputs.stdout, "pulumi stack output").guid).toBe(status?.guid);
        await run("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"], dir);
        expect(await sandbox.status(ALICE, "FromNodeSdk")).toBeUndefined();
    });

    it("python-sdk, python-path: pip installs the clone's SDK into a virtualenv, leaving nothing in the clone; the README's program previews", async () => {
        const before = listing(path.join(clone, "sdk", "python")).sort();
        const dir = project("python-sdk", "python", { "__main__.py": readmeProgram("python") });
        await block("python-sdk", dir);
        await block("python-path", dir);
        expect(listing(path.join(clone, "sdk", "python")).sort()).toEqual(before);
        const imported = await run(
            "python",
            [
                "-c",
                "import sys, importlib.metadata as m, pulumi_dovecot; print(sys.prefix); print(m.version('pulumi_dovecot'))",
            ],
            dir,
        );
        expect(imported.stdout.trim().split("\n")).toEqual([path.join(dir, "venv"), VERSION]);
        const steps = (await preview(dir)).steps.map(
            (s) => `${s.op} ${s.urn.split("::").slice(-2).join("::")}`,
        );
        expect(steps).toContain("create dovecot:index:Mailbox::alice-archive");
    });

    it("go-sdk: the README's Go program requires the clone's module, builds and previews; sdk/go builds as it is", async () => {
        const dir = project("go-sdk", "go", { "main.go": readmeProgram("go") });
        await run("go", ["mod", "init", "example.com/mail"], dir);
        await block("go-sdk", dir);
        const goMod = readFileSync(path.join(dir, "go.mod"), "utf8");
        expect(goMod).toContain(`github.com/pulumi-dovecot/pulumi-dovecot/sdk/go v${VERSION}`);
        expect(goMod).toContain(`=> ${path.join(clone, "sdk", "go")}`);
        await run("go", ["vet", "./..."], dir, 900_000);
        await run("go", ["build", "./..."], path.join(clone, "sdk", "go"), 900_000);
        const steps = (await preview(dir)).steps.map(
            (s) => `${s.op} ${s.urn.split("::").slice(-2).join("::")}`,
        );
        expect(steps).toContain("create dovecot:index:Mailbox::alice-archive");
    });

    it("the README's YAML program, with the clone's plugin, previews its Mailbox", async () => {
        const dir = project("yaml-program", "yaml", {}, readmeProgram("yaml"));
        const steps = (await preview(dir)).steps.map(
            (s) => `${s.op} ${s.urn.split("::").slice(-2).join("::")}`,
        );
        expect(steps).toContain("create dovecot:index:Mailbox::alice-archive");
    });

    it("no command found the plugin on PATH (none printed the engine's warning)", () => {
        expect(history.length).toBeGreaterThan(15);
        expect(warnedOfPluginOnPath(history)).toEqual([]);
    });
});
