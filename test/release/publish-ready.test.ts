// What a release publishes, built as the release workflow builds it and installed as users install it.
// The jobs of examples/ci/release.yml that make the artifacts (publish, plugin, python, go) are read out
// of the workflow and run, each in a fresh copy of this checkout (a runner's checkout; this repository's
// node_modules stands in for `npm ci`, and nothing writes into it), every `run` step as written
// (GITHUB_REF_NAME=v<version>) but the few in NOT_RUN (the suite's own checks, and the uploads: the
// test packs what `npm publish` would upload). Then:
// - the npm package and the Node.js SDK, packed as `npm publish` uploads them, are installed from their
//   tarballs into a project (the README's `npm install ./pulumi-dovecot-<version>.tgz` as written), whose
//   program declares a folder with each and runs `up` and `destroy` through the CLI against a sandbox
//   Dovecot, checked with doveadm;
// - the plugin's tarball is installed with the `pulumi plugin install ... --file` of the installation
//   page (docs/installation-configuration.md) as written, into a PULUMI_HOME of the test's own: that
//   program's plugin resources run on it, with no plugin on PATH and no `plugins` block;
// - the Python wheel and sdist, which the job's `twine check --strict` passed, are each pip-installed
//   into a new virtualenv, where the package imports and reports its version;
// - the Go module is vetted by the go job's step.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { pythonSdkVersion, warnedOfPluginOnPath } from "../harness/examples";
import { copyCheckout, documentedBlock, runBlock, userShellEnv } from "../harness/install-lines";
import { NODE_SDK_FILES, NODE_SDK_PUBLISHED } from "../harness/node-sdk";
import { CommandResult, REPO_ROOT, StateResource, parseJson, runCommand } from "../harness/pulumi";
import { PACKAGE_VERSION as VERSION, pulumiSdkVersion } from "../harness/repo";
import { REPOSITORY_URL } from "../../scripts/schema";

jest.setTimeout(600_000);

// js-yaml comes with @pulumi/pulumi; it has no type declarations here.
const yaml = require("js-yaml") as { load(text: string): unknown };

const ALICE = "alice@example.org";
interface Step {
    name?: string;
    run?: string;
    "working-directory"?: string;
}
const WORKFLOW = yaml.load(
    fs.readFileSync(path.join(REPO_ROOT, "examples", "ci", "release.yml"), "utf8"),
) as {
    jobs: Record<string, { steps: Step[] }>;
};

/** The `run` steps of a job of the release workflow. */
function runSteps(job: string): Step[] {
    const steps = WORKFLOW.jobs[job]?.steps;
    if (!steps) throw new Error(`release.yml has no job ${job}`);
    return steps.filter((s) => s.run !== undefined);
}

/**
 * The run steps of those jobs that the test does not run, and why. Every other step runs: a step added
 * to one of the jobs is run, or must be listed here.
 */
const NOT_RUN: Record<string, string> = {
    "npm ci": "this repository's node_modules, linked into the copy, stands in for it",
    "npm run typecheck": "npm test's own check (its pretest)",
    "npm run lint": "npm test's own check (its pretest)",
    "npm run format:check": "npm test's own check (its pretest)",
    "npm run docs": "npm test's own check (its pretest)",
    "npx jest test/unit": "npm test runs them",
    "npm publish --provenance --access public": "an upload: the test packs the same files with npm pack",
    "npm publish ./sdk/nodejs --provenance --access public":
        "an upload: the test packs the folder with npm pack",
};

/** The files of a tarball (tar -tzf), without the top folder of an npm or Python package. */
async function tarFiles(tarball: string): Promise<string[]> {
    const listed = await runCommand("tar", ["-tzf", tarball], path.dirname(tarball), process.env, {});
    return listed.stdout
        .trim()
        .split("\n")
        .map((f) => f.replace(/^[^/]+\//, ""));
}

describe("what a release publishes, installed into scratch projects", () => {
    let work: string;
    /** Where the artifacts go (as a release's assets and registry uploads). */
    let dist: string;
    let sandbox: Sandbox;
    const history: CommandResult[] = [];

    /** A shell on a runner or a user's machine: Node.js, the Pulumi CLI, no plugin on PATH. */
    const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
        userShellEnv(work, {
            pathFirst: [path.join(work, "tools", "bin")],
            env: {
                GITHUB_REF_NAME: `v${VERSION}`,
                GITHUB_REPOSITORY: new URL(REPOSITORY_URL).pathname.slice(1),
                ...extra,
            },
        });
    const remember = (result: CommandResult, what?: string) => {
        history.push(what ? { ...result, args: [what] } : result);
        return result;
    };
    /**
     * Runs a job of the release workflow in a fresh copy of this checkout: each run step as written, in
     * order, in its working-directory, but those in NOT_RUN. Returns the copy.
     */
    const runJob = async (job: string, timeoutMs = 600_000): Promise<string> => {
        const checkout = path.join(work, job, "pulumi-dovecot");
        copyCheckout(checkout);
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(checkout, "node_modules"), "dir");
        for (const s of runSteps(job)) {
            if (NOT_RUN[s.run!.trim()] !== undefined) continue;
            const ran = await runBlock(s.run!, path.join(checkout, s["working-directory"] ?? "."), env(), {
                timeoutMs,
            });
            remember(ran.result, `release.yml ${job}: ${s.name ?? s.run!.trim()}`);
        }
        return checkout;
    };
    /** Runs the install block `id` of the README or the installation page as written in `cwd`. */
    const block = async (id: string, cwd: string) => {
        const found = documentedBlock(id);
        return remember(
            (await runBlock(found.text, cwd, env(), { timeoutMs: 300_000 })).result,
            `${found.document} ${id}`,
        );
    };
    /** Runs a command of the test's own; rejects on failure. */
    const run = async (
        command: string,
        args: string[],
        cwd: string,
        extra: Record<string, string> = {},
        input?: string,
    ) => remember(await runCommand(command, args, cwd, env(extra), { timeoutMs: 300_000, input }));
    /** The one file in `dist` whose name matches. */
    const artifact = (pattern: RegExp) => {
        const found = fs.readdirSync(dist).filter((f) => pattern.test(f));
        if (found.length !== 1)
            throw new Error(`expected one ${pattern} in ${dist}, found ${found.join(", ") || "none"}`);
        return path.join(dist, found[0]!);
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        work = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-publish-"));
        dist = path.join(work, "dist");
        for (const dir of [dist, path.join(work, "state"), path.join(work, "pulumi-home")]) fs.mkdirSync(dir);
        fs.writeFileSync(path.join(work, "pip-constraints.txt"), `pulumi==${pythonSdkVersion()}\n`);
    });
    afterAll(async () => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
        await sandbox?.stop();
    });

    it("NOT_RUN names steps of the jobs the test runs (and only those)", () => {
        const runs = ["publish", "plugin", "python", "go"].flatMap((job) =>
            runSteps(job).map((s) => s.run!.trim()),
        );
        for (const skipped of Object.keys(NOT_RUN))
            expect({ skipped, inWorkflow: runs.includes(skipped) }).toEqual({ skipped, inWorkflow: true });
    });

    it("publish: the job's checks and builds pass; npm pack makes the package's and the Node.js SDK's tarballs", async () => {
        const checkout = await runJob("publish");
        await run("npm", ["pack", "--pack-destination", dist], checkout);
        const files = await tarFiles(artifact(/^pulumi-dovecot-\d/));
        expect(files).toEqual(
            expect.arrayContaining([
                "package.json",
                "dist/provider/index.js",
                "dist/provider/plugin/main.js",
            ]),
        );
        expect(
            files.filter(
                (f) => !/^(package\.json|README\.md|LICENSE|dist\/(provider\/.*|schema\.json))$/.test(f),
            ),
        ).toEqual([]);

        // `npm publish ./sdk/nodejs` uploads what `npm pack ./sdk/nodejs` makes of the built folder.
        await run("npm", ["pack", "./sdk/nodejs", "--pack-destination", dist], checkout);
        const sdkFiles = await tarFiles(artifact(/^pulumi-dovecot-dovecot-/));
        expect(sdkFiles).toEqual(expect.arrayContaining(NODE_SDK_FILES));
        expect(sdkFiles.filter((f) => !NODE_SDK_PUBLISHED.test(f))).toEqual([]);
    });

    it("plugin: the job builds the tarball; the installation page's pulumi plugin install --file installs it", async () => {
        const checkout = await runJob("plugin");
        const tarball = path.join(checkout, "out", `pulumi-resource-dovecot-v${VERSION}-linux-amd64.tar.gz`);
        expect(await tarFiles(tarball)).toEqual(["pulumi-resource-dovecot"]);
        // As a user with the downloaded asset in the current folder.
        const downloads = path.join(work, "downloads");
        fs.mkdirSync(downloads);
        fs.copyFileSync(tarball, path.join(downloads, path.basename(tarball)));
        await block("plugin-tarball", downloads);
        const listed = await run("pulumi", ["plugin", "ls"], downloads);
        expect(listed.stdout).toMatch(
            new RegExp(`^dovecot\\s+resource\\s+${VERSION.replace(/\./g, "\\.")}\\s`, "m"),
        );
    });

    it("a program with both npm packages, installed from their tarballs, runs up and destroy on the installed plugin", async () => {
        const app = path.join(work, "app");
        fs.mkdirSync(app);
        const pulumiVersion = pulumiSdkVersion();
        fs.writeFileSync(
            path.join(app, "package.json"),
            JSON.stringify({
                name: "app",
                version: "1.0.0",
                private: true,
                main: "index.js",
                dependencies: { "@pulumi/pulumi": pulumiVersion },
            }),
        );
        fs.copyFileSync(artifact(/^pulumi-dovecot-\d/), path.join(app, `pulumi-dovecot-${VERSION}.tgz`));
        await block("package-tarball", app);
        await run("npm", ["install", "--no-audit", "--no-fund", artifact(/^pulumi-dovecot-dovecot-/)], app);
        // No `plugins` block: the engine takes the plugin from its plugin cache (PULUMI_HOME).
        fs.writeFileSync(path.join(app, "Pulumi.yaml"), "name: app\nruntime: nodejs\nmain: index.js\n");
        fs.writeFileSync(
            path.join(app, "index.js"),
            [
                '"use strict";',
                'const dovecot = require("pulumi-dovecot");',
                'const plugin = require("@pulumi-dovecot/dovecot");',
                `const dynamicBox = new dovecot.Mailbox("dynamic-box", { user: "${ALICE}", name: "FromPackage" });`,
                `const pluginBox = new plugin.Mailbox("plugin-box", { user: "${ALICE}", name: "FromSdk" });`,
                "exports.guids = { dynamic: dynamicBox.guid, plugin: pluginBox.guid };",
                "",
            ].join("\n"),
        );
        await run("pulumi", ["stack", "init", "test", "--non-interactive"], app);
        await run("pulumi", ["config", "set", "dovecot:endpoint", sandbox.endpoint], app);
        await run("pulumi", ["config", "set", "--secret", "dovecot:apiKey"], app, {}, sandbox.apiKey);
        await run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], app);
        const guids = parseJson<{ guids: Record<string, string> }>(
            (await run("pulumi", ["stack", "output", "--json"], app)).stdout,
            "pulumi stack output",
        ).guids;
        expect((await sandbox.status(ALICE, "FromPackage"))?.guid).toBe(guids.dynamic);
        expect((await sandbox.status(ALICE, "FromSdk"))?.guid).toBe(guids.plugin);
        const resources = parseJson<{ deployment: { resources: StateResource[] } }>(
            (await run("pulumi", ["stack", "export"], app)).stdout,
            "pulumi stack export",
        ).deployment.resources;
        const typeOf = (name: string) => resources.find((r) => r.urn.endsWith(`::${name}`))?.type;
        expect(typeOf("dynamic-box")).toBe("pulumi-nodejs:dynamic/dovecot:Mailbox");
        expect(typeOf("plugin-box")).toBe("dovecot:index:Mailbox");
        await run("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive"], app);
        expect(await sandbox.listMailboxes(ALICE)).toEqual(["INBOX"]);
    });

    it("python: the job builds the wheel and the sdist and passes twine check; each installs into a new virtualenv", async () => {
        // The workflow's `python` (setup-python): a virtualenv of the test's own, first on PATH.
        await run("python3", ["-m", "venv", path.join(work, "tools")], work);
        expect(
            runSteps("python")
                .map((s) => s.run)
                .join("\n"),
        ).toContain("twine check --strict out/*");
        const checkout = await runJob("python");
        // Nothing was built into the source folder (setuptools would leave build/ and an egg-info).
        expect(
            fs
                .readdirSync(path.join(checkout, "sdk", "python"))
                .filter((f) => f === "build" || f.endsWith(".egg-info")),
        ).toEqual([]);
        const out = fs.readdirSync(path.join(checkout, "out")).sort();
        expect(out).toEqual([
            `pulumi_dovecot-${VERSION}-py3-none-any.whl`,
            `pulumi_dovecot-${VERSION}.tar.gz`,
        ]);
        const [wheel, sdist] = out.map((f) => path.join(checkout, "out", f)) as [string, string];
        expect(await tarFiles(sdist)).toEqual(
            expect.arrayContaining([
                "README.md",
                "PKG-INFO",
                "pyproject.toml",
                "pulumi_dovecot/pulumi-plugin.json",
            ]),
        );
        for (const [name, file] of [
            ["wheel", wheel],
            ["sdist", sdist],
        ] as const) {
            const venv = path.join(work, `venv-${name}`);
            await run("python3", ["-m", "venv", venv], work);
            await run(path.join(venv, "bin", "pip"), ["install", file], work, {
                PIP_CONSTRAINT: path.join(work, "pip-constraints.txt"),
            });
            const imported = await run(
                path.join(venv, "bin", "python"),
                [
                    "-c",
                    "import importlib.metadata as m, pathlib, pulumi_dovecot; d = pathlib.Path(pulumi_dovecot.__file__).parent; print(m.version('pulumi_dovecot'), (d / 'pulumi-plugin.json').is_file(), (d / 'py.typed').is_file(), m.metadata('pulumi_dovecot')['Description-Content-Type'])",
                ],
                work,
            );
            expect({ name, printed: imported.stdout.trim() }).toEqual({
                name,
                printed: `${VERSION} True True text/markdown`,
            });
        }
    });

    it("go: the job's go vet passes on sdk/go as committed", async () => {
        await runJob("go", 900_000);
    });

    it("no command found the plugin on PATH (none printed the engine's warning)", () => {
        expect(history.length).toBeGreaterThan(15);
        expect(warnedOfPluginOnPath(history)).toEqual([]);
    });
});
