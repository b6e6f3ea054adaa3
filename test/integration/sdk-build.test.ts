// The committed SDKs build where their users build them, each from a copy in a temporary folder (so
// nothing is written into sdk/):
// - Node.js: this repository's tsc (5.9) type-checks sdk/nodejs under its own tsconfig.json, emits it,
//   and the emitted package loads with this repository's @pulumi/pulumi and exports every resource,
//   function and the Provider;
// - Go: `go build ./...` of sdk/go against github.com/pulumi/pulumi/sdk/v3 at the version its go.mod
//   pins (GOFLAGS=-mod=mod, from the module cache; sdkgen pins the CLI's version, see sdkgen/main.go);
// - Python: `pip install --no-deps` of sdk/python with the interpreter and Pulumi SDK of the virtualenv
//   that scripts/install-langhosts.sh makes (into a --target folder, so the shared virtualenv is left as
//   it is), then every module of pulumi_dovecot imports and reports the package version.
// About 25 s when Go's caches and the virtualenv are warm; the first run on a machine also builds the
// language hosts and the virtualenv (about 3 minutes). Go and Python are required: without them the
// test fails and says what is missing.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandResult, runCommand } from "../harness/pulumi";
import { MARK, newMark } from "../harness/processes";
import { REPO_ROOT } from "../harness/repo";

jest.setTimeout(600_000);

const VERSION = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

let work: string;
beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-sdk-build-"));
});
afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
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

/** A copy of sdk/<language> in the temporary folder. */
function copy(language: string): string {
    const dir = path.join(work, language);
    cpSync(path.join(REPO_ROOT, "sdk", language), dir, { recursive: true });
    return dir;
}

describe("the generated SDKs build", () => {
    it("Node.js: type-checks and compiles with this repository's tsc, and loads", async () => {
        const dir = copy("nodejs");
        symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
        await run("the Node.js SDK", process.execPath, [tsc, "-p", "tsconfig.json"], dir);
        // As Pulumi's own SDK builds do: the package is bin/, with its package.json (it reads its version there).
        cpSync(path.join(dir, "package.json"), path.join(dir, "bin", "package.json"));
        const loaded = await run(
            "the compiled Node.js SDK",
            process.execPath,
            [
                "-e",
                "const d = require('./bin'); console.log(JSON.stringify(Object.keys(d).sort())); console.log(require('./bin/utilities').getVersion())",
            ],
            dir,
        );
        const [exports, version] = loaded.stdout.trim().split("\n");
        expect(JSON.parse(exports ?? "[]")).toEqual(
            expect.arrayContaining([
                "FolderSet",
                "Mailbox",
                "MailboxAcl",
                "MailboxMetadata",
                "Provider",
                "Reload",
                "SieveScript",
                "Subscription",
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
    });

    it("Go: go build ./... with the Pulumi Go SDK its go.mod pins", async () => {
        const dir = copy("go");
        await run("the Go SDK (is Go installed?)", "go", ["build", "./..."], dir, {
            GOFLAGS: "-mod=mod",
            GOTOOLCHAIN: "local",
        });
        const listed = await run("the Go SDK", "go", ["list", "./..."], dir, {
            GOFLAGS: "-mod=mod",
            GOTOOLCHAIN: "local",
        });
        expect(listed.stdout).toContain("github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot\n");
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
        const imported = await run("importing the Python SDK", python, ["-c", script], work, {
            PYTHONPATH: target,
        });
        const [count, version] = (imported.stdout.split("\n")[0] ?? "").split(" ");
        expect(Number(count)).toBeGreaterThan(10);
        expect(version).toBe(VERSION);
        expect(imported.stdout).toContain("pulumi_dovecot.mailbox get_quota Provider");
    });
});
