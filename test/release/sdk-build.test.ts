// The committed SDKs build and install where their users build and install them, each from a copy in a
// temporary folder (so nothing is written into sdk/), with nothing added by hand:
// - Node.js: `npm run build` (the package's own build script, with this repository's tsc 5.9 and
//   @pulumi/pulumi) writes bin/; `npm install <folder>` into an empty project links it, and the
//   package loads by its name, exports every resource, function and the Provider, reports its version,
//   and type-checks by its name (package.json's "main" and "types"); `npm pack` holds bin/ and nothing
//   of the sources;
// - Go: `go build ./...` and `go vet ./...` of sdk/go as it is (go.sum complete: no -mod=mod), against
//   github.com/pulumi/pulumi/sdk/v3 at the version its go.mod pins, whose go directive sdk/go's meets;
// - Python: `pip install --no-deps` of sdk/python with the interpreter and Pulumi SDK of the virtualenv
//   that scripts/install-langhosts.sh makes (into a --target folder, so the shared virtualenv is left as
//   it is) leaves nothing in the source folder (no build/, no *.egg-info); every module of
//   pulumi_dovecot imports and reports the package version, and the package README is the one
//   pyproject.toml names.
// About 40 s when Go's caches and the virtualenv are warm; the first run on a machine also builds the
// language hosts and the virtualenv (about 3 minutes). Go and Python are required: without them the
// test fails and says what is missing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KINDS } from "../../provider/kinds";
import { CommandResult, runCommand } from "../harness/pulumi";
import { NODE_SDK_FILES, NODE_SDK_PUBLISHED } from "../harness/node-sdk";
import { MARK, newMark } from "../harness/processes";
import { PACKAGE_VERSION as VERSION, REPO_ROOT } from "../harness/repo";

jest.setTimeout(600_000);

let work: string;
beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-sdk-build-"));
});
afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs a command; a failure says what ran and what it printed. */
async function run(
    what: string,
    command: string,
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv = {},
): Promise<CommandResult> {
    let result: CommandResult;
    try {
        result = await runCommand(
            command,
            args,
            cwd,
            { ...process.env, ...env, [MARK]: newMark() },
            { timeoutMs: 540_000, allowFailure: true },
        );
    } catch (error) {
        throw new Error(`${what}: could not run ${command}: ${String(error)}`);
    }
    if (result.code !== 0)
        throw new Error(
            `${what}: ${command} ${args.join(" ")} ${result.timedOut ? "timed out" : `exited ${result.code}`}\n${result.output.slice(-6000)}`,
        );
    return result;
}

/** What an earlier build or install may have left in sdk/ (git ignores it), never copied. */
const LEFTOVERS = /[/\\](bin|node_modules|build|dist|__pycache__|[^/\\]+\.egg-info)$/;

/** A copy of sdk/<language> in the temporary folder, as git has it. */
function copy(language: string): string {
    const dir = path.join(work, language);
    fs.cpSync(path.join(REPO_ROOT, "sdk", language), dir, {
        recursive: true,
        filter: (source) => !LEFTOVERS.test(source),
    });
    return dir;
}

describe("the generated SDKs build", () => {
    it("Node.js: npm run build, then npm install <folder> gives a package that loads and type-checks by its name", async () => {
        const dir = copy("nodejs");
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        await run("the Node.js SDK's build", "npm", ["run", "build"], dir);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "bin", "package.json"), "utf8"))).toEqual(
            JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")),
        );

        // An empty project installs the folder as a user does (a link to it).
        const project = path.join(work, "nodejs-project");
        fs.mkdirSync(project);
        fs.writeFileSync(
            path.join(project, "package.json"),
            JSON.stringify({ name: "uses-sdk", version: "1.0.0", private: true }),
        );
        await run(
            "npm install of the SDK folder",
            "npm",
            ["install", "--no-audit", "--no-fund", dir],
            project,
        );
        const loaded = await run(
            "the installed Node.js SDK",
            process.execPath,
            [
                "-e",
                "const d = require('@pulumi-dovecot/dovecot'); console.log(JSON.stringify(Object.keys(d).sort())); console.log(require('@pulumi-dovecot/dovecot/bin/utilities').getVersion())",
            ],
            project,
        );
        const [exports, version] = loaded.stdout.trim().split("\n");
        expect(JSON.parse(exports ?? "[]")).toEqual(
            expect.arrayContaining([
                // Every kind's class.
                ...KINDS.map((kind) => kind.name),
                "Provider",
                "config",
                "getMailboxStatus",
                "getMailboxStatusOutput",
                "getQuota",
                "listMailboxes",
                "listSieveScripts",
                "types",
            ]),
        );
        expect(version).toBe(VERSION);

        // The types come by the package's name too: a misspelt input fails to compile, a right one passes.
        const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
        const check = async (args: string) => {
            fs.writeFileSync(
                path.join(project, "index.ts"),
                `import * as dovecot from "@pulumi-dovecot/dovecot";\nnew dovecot.Mailbox("m", ${args});\n`,
            );
            return runCommand(
                process.execPath,
                [tsc, "--noEmit", "--strict", "--module", "nodenext", "--types", "node", "index.ts"],
                project,
                { ...process.env, [MARK]: newMark() },
                { allowFailure: true, timeoutMs: 120_000 },
            );
        };
        fs.symlinkSync(
            path.join(REPO_ROOT, "node_modules", "@types"),
            path.join(project, "node_modules", "@types"),
        );
        const good = await check('{ user: "alice@example.org", name: "Archive" }');
        expect({ code: good.code, output: good.output.trim() }).toEqual({ code: 0, output: "" });
        const bad = await check('{ user: "alice@example.org", nmae: "Archive" }');
        expect(bad.output).toMatch(/error TS\d+: .*'nmae' does not exist/);

        // What npm pack publishes: the build and the manifest, no TypeScript sources.
        const packed = await run("npm pack of the SDK", "npm", ["pack", "--dry-run", "--json"], dir);
        const files = (JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
            (f) => f.path,
        );
        expect(files).toEqual(expect.arrayContaining(NODE_SDK_FILES));
        expect(files.filter((f) => !NODE_SDK_PUBLISHED.test(f))).toEqual([]);
    });

    it("Go: go build ./... and go vet ./... as it is, with the Pulumi Go SDK its go.mod pins", async () => {
        const dir = copy("go");
        // As shipped: go.mod and go.sum as they are (-mod=readonly, whatever the caller's GOFLAGS say).
        const asShipped = { GOFLAGS: "-mod=readonly", GOTOOLCHAIN: "local" };
        await run("the Go SDK (is Go installed?)", "go", ["build", "./..."], dir, asShipped);
        await run("the Go SDK", "go", ["vet", "./..."], dir, asShipped);
        const listed = await run("the Go SDK", "go", ["list", "./..."], dir, asShipped);
        expect(listed.stdout).toContain("github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot\n");
        // Its go directive is at least what the Pulumi Go SDK's go.mod asks for.
        const own = await run("the Go SDK", "go", ["list", "-m", "-f", "{{.GoVersion}}"], dir, asShipped);
        const dependency = await run(
            "the Go SDK",
            "go",
            ["list", "-m", "-f", "{{.GoVersion}}", "github.com/pulumi/pulumi/sdk/v3"],
            dir,
            asShipped,
        );
        const parts = (v: string) => v.trim().split(".").map(Number);
        const [a, b] = [parts(own.stdout), parts(dependency.stdout)];
        expect(b.length).toBeGreaterThan(1);
        const cmp = a.map((n, i) => n - (b[i] ?? 0)).find((d) => d !== 0) ?? a.length - b.length;
        expect({ own: own.stdout.trim(), dependency: dependency.stdout.trim(), atLeast: cmp >= 0 }).toEqual({
            own: own.stdout.trim(),
            dependency: dependency.stdout.trim(),
            atLeast: true,
        });
    });

    it("Python: pip-installs into the language hosts' virtualenv and imports", async () => {
        const hosts = await run(
            "scripts/install-langhosts.sh",
            "bash",
            ["scripts/install-langhosts.sh"],
            REPO_ROOT,
        );
        const bin = hosts.stdout.trim().split("\n").pop() ?? "";
        const python = path.join(bin, "..", "venv", "bin", "python");
        const src = copy("python");
        const before = fs.readdirSync(src).sort();
        const target = path.join(work, "python-installed");
        await run(
            "pip install of the Python SDK",
            python,
            [
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                "--no-deps",
                "--target",
                target,
                src,
            ],
            work,
        );
        const script = [
            "import importlib, importlib.metadata, pkgutil, pulumi_dovecot",
            "names = sorted(m.name for m in pkgutil.walk_packages(pulumi_dovecot.__path__, 'pulumi_dovecot.'))",
            "[importlib.import_module(n) for n in names]",
            "print(len(names), importlib.metadata.version('pulumi_dovecot'))",
            "print(pulumi_dovecot.Mailbox.__module__, pulumi_dovecot.get_quota.__name__, pulumi_dovecot.Provider.__name__)",
        ].join("\n");
        // Nothing was built in the source folder (setuptools would leave build/ and an egg-info there).
        expect(fs.readdirSync(src).sort()).toEqual(before);
        expect(before.filter((f) => f === "build" || f.endsWith(".egg-info"))).toEqual([]);
        // The package README that pyproject.toml names is there, and is the module's.
        expect(fs.readFileSync(path.join(src, "pyproject.toml"), "utf8")).toMatch(
            /^ {2}readme = "README\.md"$/m,
        );
        expect(fs.readFileSync(path.join(src, "README.md"), "utf8")).toBe(
            fs.readFileSync(path.join(src, "pulumi_dovecot", "README.md"), "utf8"),
        );
        const imported = await run("importing the Python SDK", python, ["-c", script], work, {
            PYTHONPATH: target,
        });
        const [count, version] = (imported.stdout.split("\n")[0] ?? "").split(" ");
        expect(Number(count)).toBeGreaterThan(10);
        expect(version).toBe(VERSION);
        expect(imported.stdout).toContain("pulumi_dovecot.mailbox get_quota Provider");
    });
});
