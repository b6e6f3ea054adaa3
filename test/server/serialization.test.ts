// Each provider serialized the way Pulumi does, loaded from that text in a fresh process the way the
// provider host does, and driven through create, read, update and delete against a real Dovecot:
// once straight from this repo's build, and once from the `npm pack` tarball installed into a
// scratch project as a user would install it.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Sandbox, startDovecot } from "../harness/dovecot";

/** Provider results are checked field by field, so they are left untyped here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");
// Copied into each project before it runs: from inside this repo, Node would resolve
// `pulumi-dovecot` to the repo itself (package self-reference) instead of the installed copy.
const SCRIPT_SOURCE = path.join(ROOT, "test/fixtures/serialized-provider.js");
const SCRIPT = "./serialized-provider.js";
const ALICE = "alice@example.org";

/** A Pulumi project folder whose node_modules holds @pulumi/pulumi (and maybe pulumi-dovecot). */
interface Project {
    dir: string;
    /** The serialized provider text of each kind, as stored in state. */
    texts: Record<string, string>;
}

async function serialize(project: string, modules: Record<string, string>): Promise<Record<string, string>> {
    const texts: Record<string, string> = {};
    for (const [kind, module] of Object.entries(modules)) {
        const out = path.join(project, `${kind}.provider.json`);
        await run(NODE, [SCRIPT, "serialize", module, out], { cwd: project, timeout: 60_000 });
        texts[kind] = (JSON.parse(fs.readFileSync(out, "utf8")) as { text: string }).text;
    }
    return texts;
}

/**
 * Packs every runtime dependency of this package (and theirs) from this repo's node_modules into
 * `dir`/deps and returns them as `file:` dependencies, so a scratch project can install the package
 * tarball without asking a registry.
 */
async function packDependencies(dir: string): Promise<Record<string, string>> {
    const deps = path.join(dir, "deps");
    fs.mkdirSync(deps, { recursive: true });
    const result: Record<string, string> = {};
    const manifest = (folder: string) =>
        JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8")) as {
            dependencies?: Record<string, string>;
        };
    const pending = Object.keys(manifest(ROOT).dependencies ?? {});
    while (pending.length > 0) {
        const name = pending.shift() as string;
        if (result[name]) continue;
        const { stdout } = await run(
            "npm",
            ["pack", path.join(ROOT, "node_modules", name), "--ignore-scripts", "--silent"],
            { cwd: deps, timeout: 60_000 },
        );
        result[name] = `file:../deps/${stdout.trim().split("\n").pop()}`;
        pending.push(...Object.keys(manifest(path.join(ROOT, "node_modules", name)).dependencies ?? {}));
    }
    return result;
}

function linkSdk(project: string) {
    fs.copyFileSync(SCRIPT_SOURCE, path.join(project, SCRIPT));
    fs.mkdirSync(path.join(project, "node_modules"), { recursive: true });
    for (const name of ["@pulumi", "require-from-string"]) {
        fs.symlinkSync(path.join(ROOT, "node_modules", name), path.join(project, "node_modules", name));
    }
}

describe.each([["this repo's build"], ["the npm pack tarball installed in a scratch project"]])(
    "serialized providers from %s",
    (source) => {
        let sandbox: Sandbox;
        let project: Project;
        let scratch: string;

        /** Calls `method` of a kind's provider through its serialized text, in a new process. */
        async function call(kind: string, method: string, ...args: unknown[]): Promise<Loose> {
            const input = path.join(project.dir, `${kind}.provider.json`);
            const argsFile = path.join(project.dir, "args.json");
            fs.writeFileSync(argsFile, JSON.stringify(args));
            const config = JSON.stringify({
                "dovecot:endpoint": sandbox.endpoint,
                "dovecot:apiKey": sandbox.apiKey,
            });
            const env: NodeJS.ProcessEnv = { ...process.env, PD_TEST_CONFIG: config };
            delete env.DOVEADM_ENDPOINT;
            delete env.DOVEADM_API_KEY;
            const { stdout } = await run(NODE, [SCRIPT, "call", input, method, argsFile], {
                cwd: project.dir,
                env,
                timeout: 60_000,
            });
            const answer = JSON.parse(stdout) as {
                result?: unknown;
                error?: { code: string; message: string };
            };
            if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
            return answer.result;
        }

        beforeAll(async () => {
            sandbox = await startDovecot();
            scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pd-serialize-"));
            if (source === "this repo's build") {
                // A project without pulumi-dovecot installed: the text must carry the code by value.
                linkSdk(scratch);
                const objects = path.join(ROOT, "dist/provider/serialized");
                project = {
                    dir: scratch,
                    texts: await serialize(scratch, {
                        mailbox: path.join(objects, "mailbox.js"),
                        subscription: path.join(objects, "subscription.js"),
                        reload: path.join(objects, "reload.js"),
                    }),
                };
            } else {
                // --ignore-scripts: the build is done (npm test's pretest). Without it, npm pack runs the
                // package's `prepare`, which rewrites dist/ in this checkout while other test files read
                // it: a copy of dist/provider in another worker failed with EIO in CI.
                await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", scratch], {
                    cwd: ROOT,
                    timeout: 120_000,
                });
                const tarball = fs.readdirSync(scratch).find((f) => f.endsWith(".tgz"));
                if (!tarball) throw new Error("npm pack made no tarball");
                const dir = path.join(scratch, "project");
                fs.mkdirSync(dir);
                // The package's dependencies come from tarballs packed from this repo's node_modules,
                // and npm runs offline with a new, empty cache: the install needs no registry and no
                // warm cache, so it behaves the same on a fresh machine as on this one, and sends
                // nothing beyond loopback. The SDK (a peer dependency) is linked from this repo.
                const dependencies = await packDependencies(scratch);
                fs.writeFileSync(
                    path.join(dir, "package.json"),
                    JSON.stringify({
                        name: "scratch",
                        private: true,
                        dependencies: { ...dependencies, "pulumi-dovecot": `file:../${tarball}` },
                    }),
                );
                await run(
                    "npm",
                    [
                        "install",
                        "--offline",
                        "--ignore-scripts",
                        "--legacy-peer-deps",
                        "--no-audit",
                        "--no-fund",
                    ],
                    {
                        cwd: dir,
                        env: { ...process.env, npm_config_cache: path.join(scratch, "empty-npm-cache") },
                        timeout: 180_000,
                    },
                );
                linkSdk(dir);
                project = {
                    dir,
                    texts: await serialize(dir, {
                        mailbox: "pulumi-dovecot/serialized/mailbox",
                        subscription: "pulumi-dovecot/serialized/subscription",
                        reload: "pulumi-dovecot/serialized/reload",
                    }),
                };
            }
        }, 240_000);

        afterAll(async () => {
            await sandbox?.stop();
            if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
        });

        it("serializes to text that captures no credential and no client", () => {
            for (const text of Object.values(project.texts)) {
                expect(text).not.toContain(sandbox.apiKey);
                expect(text).not.toMatch(/Agent|undici|zod/);
            }
            if (source === "this repo's build") {
                expect(project.texts.mailbox).toContain("dispatch");
            } else {
                // Installed: Pulumi refers to the package by name, so state stays small and portable.
                // (Which subpath it writes depends on where it finds the package; both are exported.)
                expect(project.texts.mailbox).toMatch(
                    /require\("pulumi-dovecot\/(serialized\/mailbox|dist\/provider\/serialized\/mailbox\.js)"\)/,
                );
                expect(project.texts.mailbox?.length).toBeLessThan(600);
                expect(project.texts.mailbox).not.toContain(ROOT);
            }
        });

        it("runs a Mailbox through check, create, read, update and delete", async () => {
            const name = source === "this repo's build" ? "Repo/Box" : "Pack/Box";
            const checked = await call("mailbox", "check", {}, { user: ALICE, name });
            expect(checked.failures).toBeUndefined();
            const created = await call("mailbox", "create", checked.inputs);
            const onServer = await sandbox.status(ALICE, name);
            expect(created.id).toBe(onServer?.guid);
            expect(await sandbox.listSubscriptions(ALICE)).toContain(name);

            const read = await call("mailbox", "read", created.id, created.outs);
            expect(read.props).toEqual(created.outs);

            await sandbox.deliver(ALICE, name, 1);
            const updated = await call("mailbox", "update", created.id, created.outs, {
                ...checked.inputs,
                name: `${name}2`,
            });
            expect(updated.outs).toMatchObject({ name: `${name}2`, guid: created.id, messages: 1 });
            expect((await sandbox.status(ALICE, `${name}2`))?.guid).toBe(created.id);

            await expect(call("mailbox", "delete", created.id, updated.outs)).rejects.toMatchObject({
                code: "DOVEADM_MAILBOX_NOT_EMPTY",
            });
            await call("mailbox", "delete", created.id, { ...updated.outs, forceDestroy: true });
            expect(await sandbox.status(ALICE, `${name}2`)).toBeUndefined();
        });

        it("runs a Subscription through create, read and delete", async () => {
            const created = await call("subscription", "create", { user: ALICE, mailbox: "Shared/Team" });
            expect(await sandbox.listSubscriptions(ALICE)).toContain("Shared/Team");
            expect((await call("subscription", "read", created.id, created.outs)).id).toBe(created.id);
            await call("subscription", "delete", created.id, created.outs);
            expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Shared/Team");
        });

        it("runs a Reload through create and update", async () => {
            const reloads = () =>
                sandbox
                    .log()
                    .split("\n")
                    .filter((l) => l.includes("SIGHUP received")).length;
            const before = reloads();
            const created = await call("reload", "create", { triggers: ["a"] });
            await call("reload", "update", created.id, created.outs, { triggers: ["b"] });
            expect(reloads()).toBe(before + 2);
        });

        it("reports missing settings by name when configure() gets none", async () => {
            const saved = sandbox.endpoint;
            Object.assign(sandbox, { endpoint: "" });
            try {
                await expect(
                    call("mailbox", "read", "0123456789abcdef0123456789abcdef", {
                        user: ALICE,
                        name: "A",
                        guid: "0123456789abcdef0123456789abcdef",
                    }),
                ).rejects.toMatchObject({
                    message: expect.stringContaining("dovecot:endpoint"),
                });
            } finally {
                Object.assign(sandbox, { endpoint: saved });
            }
        });
    },
);
