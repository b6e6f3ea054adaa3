// A kind is its folder plus one line in provider/kinds/list.ts plus regenerating (issue 31): in a
// temporary copy of the repository, the throwaway kind of test/fixtures/throwaway-kind (MailboxGuid,
// which records an existing mailbox's GUID) is put in as provider/kinds/mailbox-guid/, its line added to
// the list, the schema and the docs pages regenerated and the package built; then the schema describes
// it, the copy's provider plugin serves it to a YAML program, and the copy's dynamic class to a
// Node.js program, each against a real Dovecot; and the copy differs from the repository only by the
// folder, the line and the generated files. The folder passes the repo's lint where it belongs. (The
// SDKs are not regenerated: their test is sdk.test.ts.)
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { MARK, newMark } from "../harness/processes";
import { PulumiProject, REPO_ROOT, runCommand } from "../harness/pulumi";
import { YamlProject } from "../harness/yaml";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "throwaway-kind", "mailbox-guid");
const FOLDER = "mailbox-guid";
const NAME = "MailboxGuid";
const TOKEN = `dovecot:index:${NAME}`;
const LIST = path.join("provider", "kinds", "list.ts");
/** The line the kind adds to provider/kinds/list.ts. */
const LINE = `    "${FOLDER}": () => require("./${FOLDER}/definition") as unknown,`;
/** What regenerating writes for it (besides its folder and its line). */
const GENERATED = ["schema.json", `docs/resources/${NAME}.md`, "provider/kinds/all.ts"];
/** What the copy leaves out: what neither the generators nor the build read. */
const LEFT_OUT = ["sdk/", "sdkgen/", "test/", "examples/", "bench/", ".ci/"];
/** Built or linked in the copy, not part of the comparison. */
const NOT_SOURCE = new Set(["node_modules", "dist", ".cache"]);

const ALICE = "alice@example.org";

/** Every file under `dir` (relative, sorted), but for what `NOT_SOURCE` names at its top. */
function filesUnder(dir: string, prefix = ""): string[] {
    return fs
        .readdirSync(path.join(dir, prefix), { withFileTypes: true })
        .filter((e) => prefix !== "" || !NOT_SOURCE.has(e.name))
        .flatMap((e) => {
            const rel = path.posix.join(prefix, e.name);
            return e.isDirectory() ? filesUnder(dir, rel) : [rel];
        })
        .sort();
}

/** Runs a command in the copy; fails with its output when it fails. */
async function inCopy(copy: string, command: string, args: string[]): Promise<void> {
    const result = await runCommand(
        command,
        args,
        copy,
        { ...process.env, [MARK]: newMark() },
        {
            timeoutMs: 600_000,
            allowFailure: true,
        },
    );
    if (result.code !== 0)
        throw new Error(
            `${command} ${args.join(" ")} failed in the copy ${copy} (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${result.output.slice(-4000)}`,
        );
}

describe("a throwaway kind: its folder, one line in the list, and regenerating", () => {
    let copy: string;
    let sources: string[];
    let sandbox: Sandbox;

    beforeAll(async () => {
        copy = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-throwaway-"));
        sources = execFileSync("git", ["ls-files"], { cwd: REPO_ROOT, encoding: "utf8" })
            .split("\n")
            .filter((file) => file.length > 0 && !LEFT_OUT.some((dir) => file.startsWith(dir)));
        for (const file of sources) {
            fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
            fs.copyFileSync(path.join(REPO_ROOT, file), path.join(copy, file));
        }
        // The repo's packages, but not its link to itself (node_modules/pulumi-dovecot), which would
        // load the repo's build where the copy's is meant.
        const modules = path.join(REPO_ROOT, "node_modules");
        fs.mkdirSync(path.join(copy, "node_modules"));
        for (const entry of fs.readdirSync(modules).filter((e) => e !== "pulumi-dovecot"))
            fs.symlinkSync(path.join(modules, entry), path.join(copy, "node_modules", entry));

        // The kind: its folder, and its line at the end of the list.
        fs.cpSync(FIXTURE, path.join(copy, "provider", "kinds", FOLDER), { recursive: true });
        const list = fs.readFileSync(path.join(copy, LIST), "utf8");
        const end = list.indexOf("} as const;");
        expect(end).toBeGreaterThan(0);
        fs.writeFileSync(path.join(copy, LIST), `${list.slice(0, end)}${LINE}\n${list.slice(end)}`);

        // `npm run generate` but the SDKs, then `npm run build`.
        const bin = (tool: string) => path.join(copy, "node_modules", ".bin", tool);
        await inCopy(copy, bin("tsc"), [
            "-p",
            "tsconfig.json",
            "--noEmit",
            "false",
            "--outDir",
            ".cache/build",
        ]);
        await inCopy(copy, "node", [".cache/build/scripts/schema.js"]);
        await inCopy(copy, "node", [".cache/build/scripts/docs.js"]);
        await inCopy(copy, "npm", ["run", "build"]);
        // The repo's lint skips the fixture (it only type-checks in place): here it is in place.
        await inCopy(copy, bin("eslint"), [path.join("provider", "kinds", FOLDER)]);

        sandbox = await startDovecot({ users: ["alice"] });
        await sandbox.mailboxes(ALICE);
    }, 900_000);

    afterAll(async () => {
        await sandbox?.stop();
        if (copy) fs.rmSync(copy, { recursive: true, force: true });
    });

    it("differs from the repository by the kind's folder, its line in the list, and generated files", () => {
        const copied = filesUnder(copy);
        const added = copied.filter((file) => !sources.includes(file));
        const changed = copied.filter(
            (file) =>
                sources.includes(file) &&
                !fs.readFileSync(path.join(copy, file)).equals(fs.readFileSync(path.join(REPO_ROOT, file))),
        );
        const folder = filesUnder(FIXTURE).map((file) => `provider/kinds/${FOLDER}/${file}`);
        expect(copied.filter((file) => !added.includes(file))).toEqual([...sources].sort());
        expect(added).toEqual([`docs/resources/${NAME}.md`, ...folder].sort());
        expect(changed).toEqual([LIST, ...GENERATED.filter((f) => sources.includes(f))].sort());
        for (const file of filesUnder(FIXTURE))
            expect(fs.readFileSync(path.join(copy, "provider", "kinds", FOLDER, file), "utf8")).toBe(
                fs.readFileSync(path.join(FIXTURE, file), "utf8"),
            );
        // The list: the repository's lines and this one.
        const lines = fs.readFileSync(path.join(copy, LIST), "utf8").split("\n");
        expect(lines.filter((line) => line !== LINE)).toEqual(
            fs.readFileSync(path.join(REPO_ROOT, LIST), "utf8").split("\n"),
        );
        expect(lines.filter((line) => line === LINE)).toHaveLength(1);
    });

    it("the regenerated schema has the kind, its properties and their descriptions", () => {
        const schema = JSON.parse(fs.readFileSync(path.join(copy, "schema.json"), "utf8")) as {
            resources: Record<
                string,
                {
                    description?: string;
                    inputProperties?: Record<string, { description?: string }>;
                    properties?: Record<string, { description?: string }>;
                    requiredInputs?: string[];
                }
            >;
        };
        const resource = schema.resources[TOKEN];
        expect(resource?.description).toContain("Reads the GUID of one of a user's existing mailboxes");
        expect(resource?.inputProperties?.user?.description).toBe(
            "The user whose mailbox it reads; a change replaces it.",
        );
        expect(resource?.inputProperties?.mailbox?.description).toBe(
            "The mailbox whose GUID it reads; it must exist; a change replaces it.",
        );
        expect(resource?.properties?.guid?.description).toBe(
            "The mailbox's GUID, as the server reported it.",
        );
        expect([...(resource?.requiredInputs ?? [])].sort()).toEqual(["mailbox", "user"]);
        // The repository's own schema has no such kind: what serves it below is the copy's.
        const own = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8")) as {
            resources: Record<string, unknown>;
        };
        expect(own.resources[TOKEN]).toBeUndefined();
        expect(fs.readFileSync(path.join(copy, "docs", "resources", `${NAME}.md`), "utf8")).toContain(
            "A MailboxGuid of a mailbox that does not exist fails",
        );
    });

    it("the copy's provider plugin serves it to a YAML program: up, then destroy", async () => {
        const version = (
            JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8")) as { version: string }
        ).version;
        const project = await YamlProject.create({
            name: "throwaway-kind-yaml",
            server: sandbox,
            program: {
                plugins: {
                    providers: [{ name: "dovecot", version, path: path.join(copy, "dist", "plugin") }],
                },
                resources: { inbox: { type: TOKEN, properties: { user: ALICE, mailbox: "INBOX" } } },
                outputs: { guid: "${inbox.guid}" },
            },
        });
        try {
            await project.up();
            const guid = (await sandbox.status(ALICE, "INBOX"))?.guid;
            expect(guid).toMatch(/^[0-9a-f]{32}$/);
            expect(await project.outputs()).toEqual({ guid });
            const [resource] = await project.stateResources();
            expect(resource).toMatchObject({ type: TOKEN, id: guid });
            await project.pulumi(["destroy", "--yes", "--skip-preview"]);
            expect(await project.stateResources()).toEqual([]);
            expect((await sandbox.status(ALICE, "INBOX"))?.guid).toBe(guid);
        } finally {
            project.cleanup();
        }
    });

    it("the copy's dynamic class serves it to a Node.js program: up, then destroy", async () => {
        // The class's types, as a TypeScript program sees them in the copy's build.
        const program = path.join(copy, "uses-kind.ts");
        fs.writeFileSync(
            program,
            `import { ${NAME} } from "./dist/provider";\n` +
                `export const inbox = new ${NAME}("inbox", { user: "${ALICE}", mailbox: "INBOX" });\n` +
                `export const guid: import("@pulumi/pulumi").Output<string | undefined> = inbox.guid;\n`,
        );
        try {
            await inCopy(copy, path.join(copy, "node_modules", ".bin", "tsc"), [
                "--noEmit",
                "--strict",
                "--skipLibCheck",
                "--module",
                "commonjs",
                "--moduleResolution",
                "node",
                "--target",
                "ES2022",
                "--types",
                "node",
                program,
            ]);
        } finally {
            fs.rmSync(program);
        }

        const project = await PulumiProject.create({
            server: sandbox,
            name: "throwaway-kind-class",
            checkout: copy,
            resources: [{ kind: NAME, name: "inbox", args: { user: ALICE, mailbox: "INBOX" } }],
        });
        try {
            await project.up();
            const guid = (await sandbox.status(ALICE, "INBOX"))?.guid;
            expect(guid).toMatch(/^[0-9a-f]{32}$/);
            expect((await project.outputs()).inbox).toMatchObject({ user: ALICE, mailbox: "INBOX", guid });
            const [resource] = await project.stateResources();
            expect(resource).toMatchObject({ type: `pulumi-nodejs:dynamic/dovecot:${NAME}`, id: guid });
            // Its provider object is its folder's module, as the package exports it.
            expect(String(resource?.outputs?.__provider)).toContain(
                `require("pulumi-dovecot/kinds/${FOLDER}")`,
            );
            await project.destroy();
            expect(await project.stateResources()).toEqual([]);
            expect((await sandbox.status(ALICE, "INBOX"))?.guid).toBe(guid);
        } finally {
            project.cleanup();
        }
    });
});
