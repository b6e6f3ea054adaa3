// The scenario that example-yaml.test.ts, example-python.test.ts and example-go.test.ts run on their
// language's example (examples/<language>/), through the real CLI and the `dovecot` provider plugin,
// against two sandbox servers: the default one (dovecot:endpoint, the default provider; users alice and
// bob) and a second one (backend2:endpoint, an explicit provider instance; user carol). The project is a
// copy of the example folder in a temporary folder, with a file backend beside it (test/harness/examples.ts).
//
// In order: up gives every user the layout on their server, through the two providers; a folder renamed
// in the layout is renamed in place (the same GUID, read with doveadm); refresh finds nothing to change;
// `pulumi import` of a folder holding mail records it with the GUID the server shows (and protects it),
// then the program takes it over; destroy refuses to delete that folder (it stays, with its messages)
// until forceDestroy is set; and no apiKey of either server, plain or in base64, is in the state export,
// the backend's files or any command's output, a `-v=9 --logtostderr` up included.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import {
    EXAMPLE_PLUGIN_PATH,
    ExampleLanguage,
    ExampleProject,
    INSTALL_TIMEOUT_MS,
    warnedOfPluginOnPath,
} from "../harness/examples";
import { installBlocks } from "../harness/install-lines";
import { REPO_ROOT, StateResource, changedSteps, filesUnder, occurrences } from "../harness/pulumi";
import { PACKAGE_VERSION as VERSION } from "../harness/repo";

interface Folder {
    name: string;
    subscribed?: boolean;
    renamedFrom?: string;
}

/** The default server's users, and the second server's: what their user databases list. */
export const DEFAULT_USERS = ["alice@example.org", "bob@example.org"];
export const BACKEND2_USERS = ["carol@example.org"];
const ALICE = DEFAULT_USERS[0]!;

/** The folder renamed in the layout (a leaf of the sample layout), and its new name. */
const RENAMED = { from: "Receipts", to: "Invoices" };
/** The folder made out of band, with mail, then imported. */
const LEGACY = "Legacy";
const LEGACY_MESSAGES = 3;

const RUNTIMES: Record<ExampleLanguage, string> = { yaml: "yaml", python: "python", go: "go" };

/** The install blocks of each example's README (run as written by ExampleProject.create). */
const INSTALL_BLOCKS: Record<ExampleLanguage, string[]> = {
    yaml: [],
    python: ["python-example"],
    go: ["go-example"],
};

/** Each user's managed folders (name to GUID), from the stack outputs of either program shape. */
function outputGuids(
    language: ExampleLanguage,
    outputs: Record<string, unknown>,
): Record<string, Record<string, string>> {
    const guids: Record<string, Record<string, string>> = {};
    if (language === "yaml") {
        // One output per user (its local part): the FolderSet's `mailboxes`.
        for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS]) {
            const list = (outputs[user.split("@")[0]!] ?? []) as Array<{ name: string; guid: string }>;
            guids[user] = Object.fromEntries(list.map((m) => [m.name, m.guid]));
        }
        return guids;
    }
    return outputs.mailboxes as Record<string, Record<string, string>>;
}

/** Inserts the resources of `pulumi import`'s YAML code into a YAML program's `resources:`. */
export function withImportedYaml(program: string, imported: string): string {
    const indent = (line: string) => /^ */.exec(line)![0].length;
    /** The lines after `resources:` and the indentation of its first entry. */
    const section = (text: string, what: string) => {
        const lines = text.split("\n");
        const at = lines.indexOf("resources:");
        if (at < 0) throw new Error(`no top-level resources: in ${what}:\n${text}`);
        const first = lines.slice(at + 1).find((line) => /^ +[^ #]/.test(line));
        if (!first) throw new Error(`no resource under resources: in ${what}`);
        return { lines: lines.slice(at + 1), unit: indent(first) };
    };
    const code = section(imported, "the imported code");
    const unit = section(program, "the program").unit;
    // Pasted at the program's indentation (YAML takes one indentation per mapping).
    const entries = code.lines
        .filter((line) => line.trim() !== "")
        .map((line) => " ".repeat((indent(line) / code.unit) * unit) + line.trimStart())
        .join("\n");
    return program.replace("\nresources:\n", `\nresources:\n${entries}\n`);
}

/** What a language's own tests get of the example's run: its project and its default server. */
export interface ExampleRun {
    project: () => ExampleProject;
    server: () => Sandbox;
}

/**
 * Runs the scenario on `language`'s example; `more` adds tests of that language's own, run after the
 * scenario's, on the same project.
 */
export function describeLanguageExample(language: ExampleLanguage, more?: (run: ExampleRun) => void): void {
    const example = ExampleProject.exampleDir(language);
    const layout = JSON.parse(readFileSync(path.join(example, "layout.json"), "utf8")) as Folder[];
    const renamedLayout = layout.map((f) =>
        f.name === RENAMED.from
            ? { name: RENAMED.to, subscribed: f.subscribed, renamedFrom: RENAMED.from }
            : f,
    );
    const names = (folders: Folder[]) => folders.map((f) => f.name);
    const subscribedNames = (folders: Folder[]) =>
        folders.filter((f) => f.subscribed !== false).map((f) => f.name);

    describe(`examples/${language} through the pulumi CLI and the dovecot provider plugin`, () => {
        let project: ExampleProject;
        let main: Sandbox;
        let backend2: Sandbox;
        /** The state export while it held every kind of resource, for the credential scan. */
        let fullExport = "";
        /** The output of the `-v=9 --logtostderr` up. */
        let verbose = "";
        /** The Pulumi resource name of the imported folder. */
        const importedName = language === "yaml" ? "alice-legacy" : `${ALICE}/${LEGACY}`;

        const serverOf = (user: string) => (BACKEND2_USERS.includes(user) ? backend2 : main);
        const reloads = (sandbox: Sandbox) => occurrences(sandbox.log(), "SIGHUP received");
        const dovecotResources = async () =>
            (await project.stateResources()).filter((r) => r.type.startsWith("dovecot:index:"));
        const byName = (resources: StateResource[], name: string) =>
            resources.find((r) => r.urn.endsWith(`::${name}`));

        /** Each user has exactly INBOX and `folders` on their own server, and those subscriptions. */
        async function expectLayout(folders: Folder[]): Promise<void> {
            for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS]) {
                const server = serverOf(user);
                expect({ user, mailboxes: await server.listMailboxes(user) }).toEqual({
                    user,
                    mailboxes: ["INBOX", ...names(folders)].sort(),
                });
                expect({ user, subscriptions: await server.listSubscriptions(user) }).toEqual({
                    user,
                    subscriptions: subscribedNames(folders).sort(),
                });
            }
        }

        beforeAll(async () => {
            const started = await Promise.allSettled([
                startDovecot({ users: DEFAULT_USERS.map((u) => u.split("@")[0]!) }),
                // The second server's users come from an SQL (SQLite) user database, the first's from a
                // passwd-file: the examples take their users from both kinds through listUsers.
                startDovecot({
                    users: BACKEND2_USERS.map((u) => u.split("@")[0]!),
                    userdb: { driver: "sql" },
                }),
            ]);
            // Whichever started is stopped by afterAll, also when the other did not.
            if (started[0].status === "fulfilled") main = started[0].value;
            if (started[1].status === "fulfilled") backend2 = started[1].value;
            for (const result of started) if (result.status === "rejected") throw result.reason;
            project = await ExampleProject.create(language);
            // As the example's README tells a user.
            await project.setConfig("dovecot:endpoint", main.endpoint);
            await project.setConfig("dovecot:apiKey", main.apiKey, { secret: true });
            await project.setConfig("backend2:endpoint", backend2.endpoint);
            await project.setConfig("backend2:apiKey", backend2.apiKey, { secret: true });
            await project.setConfig("folders:layout", project.read("layout.json"));
            // The README's install blocks run in create(): Go's first build on a machine takes minutes.
        }, INSTALL_TIMEOUT_MS[language] + 300_000);
        afterAll(async () => {
            project?.cleanup();
            await Promise.all([main?.stop(), backend2?.stop()]);
        });

        it("the folder is a complete project: its runtime, the plugin of a clone, the README's commands", () => {
            const manifest = readFileSync(path.join(example, "Pulumi.yaml"), "utf8");
            expect(manifest).toMatch(new RegExp(`^runtime:\\s*(name:\\s*)?${RUNTIMES[language]}\\s*$`, "m"));
            // The plugin of the clone the folder is in, at this package's version.
            expect(manifest).toContain(
                `plugins:\n    providers:\n        - name: dovecot\n          version: ${VERSION}\n          path: ${EXAMPLE_PLUGIN_PATH}\n`,
            );
            const readme = readFileSync(path.join(example, "README.md"), "utf8");
            expect(installBlocks(path.join(example, "README.md")).map((b) => b.id)).toEqual(
                INSTALL_BLOCKS[language],
            );
            for (const line of [
                "pulumi config set dovecot:endpoint",
                "pulumi config set --secret dovecot:apiKey",
                "pulumi config set backend2:endpoint",
                "pulumi config set --secret backend2:apiKey",
                'pulumi config set folders:layout "$(cat layout.json)"',
                "pulumi import dovecot:index:Mailbox",
                "pulumi up",
            ])
                expect({ line, found: readme.includes(line) }).toEqual({ line, found: true });
            if (language === "yaml") {
                // YAML has no loops: the users are declared in the program; they are the test's users.
                for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS])
                    expect(manifest).toContain(`user: ${user}`);
            }
            // The users come from each server's user database (listUsers), not from the configuration.
            expect(readme).not.toMatch(/folders:users|backend2:users/);
            expect(readme).toContain("docs/guides/users-from-dovecot.md");
            if (language === "go") {
                const goMod = readFileSync(path.join(example, "go.mod"), "utf8");
                expect(goMod).toMatch(/^\s*github\.com\/pulumi\/pulumi\/sdk\/v3 v3\.274\.1$/m);
                expect(goMod).toContain(`\tgithub.com/pulumi-dovecot/pulumi-dovecot/sdk/go v${VERSION}\n`);
                const replaced =
                    /^replace github\.com\/pulumi-dovecot\/pulumi-dovecot\/sdk\/go => (\S+)$/m.exec(goMod);
                expect(path.resolve(example, replaced?.[1] ?? "")).toBe(path.join(REPO_ROOT, "sdk", "go"));
            }
            if (language === "python") {
                const requirements = readFileSync(path.join(example, "requirements.txt"), "utf8");
                expect(requirements).toMatch(/^pulumi>=/m);
                expect(requirements).toContain(`\npulumi_dovecot==${VERSION}\n`);
            }
        });

        if (language === "go") {
            // The language host runs `go build` before each run of the program; the first build on a
            // machine compiles the Pulumi Go SDK and its dependencies (minutes), later ones only link.
            it(
                "the program builds with go build (the first build on a machine fills Go's build cache)",
                async () => {
                    await project.run("go", ["build", "-o", path.join(project.root, "program"), "."], {
                        timeoutMs: 25 * 60_000,
                    });
                },
                30 * 60_000,
            );
        }

        it("pulumi up gives every user the layout on their server, through the two providers", async () => {
            await project.up();
            await expectLayout(layout);

            const guids = outputGuids(language, await project.outputs());
            for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS])
                for (const name of names(layout))
                    expect({ user, name, guid: guids[user]?.[name] }).toEqual({
                        user,
                        name,
                        guid: (await serverOf(user).status(user, name))?.guid,
                    });

            // Two provider instances: the default one and backend2; carol's folders go through backend2.
            const resources = await project.stateResources();
            const providers = resources.filter((r) => r.type === "pulumi:providers:dovecot");
            expect(providers).toHaveLength(2);
            const explicit = providers.find((p) => p.urn.endsWith("::backend2"));
            const implicit = providers.find((p) => /::default[^:]*$/.test(p.urn));
            expect(explicit).toBeDefined();
            expect(implicit).toBeDefined();
            expect(explicit?.inputs?.endpoint).toBe(backend2.endpoint);
            expect(implicit?.inputs?.endpoint).toBe(main.endpoint);
            const folders = resources.filter(
                (r) => r.type === "dovecot:index:Mailbox" || r.type === "dovecot:index:FolderSet",
            );
            expect(folders).toHaveLength(language === "yaml" ? 3 : 3 * layout.length);
            for (const r of folders) {
                const user = (r.inputs?.user ?? "") as string;
                const provider = BACKEND2_USERS.includes(user) ? explicit! : implicit!;
                expect({
                    urn: r.urn,
                    provider: r.provider?.toString().startsWith(`${provider.urn}::`),
                }).toEqual({
                    urn: r.urn,
                    provider: true,
                });
            }
            // The Reload reloads the default server once; the second one is not reloaded.
            expect(reloads(main)).toBe(1);
            expect(reloads(backend2)).toBe(0);
            if (language === "yaml") {
                // The lookup through fn::invoke: each server's users, as its own doveadm lists them.
                const outputs = await project.outputs();
                expect(outputs.users).toEqual(DEFAULT_USERS);
                expect(outputs.backend2Users).toEqual(BACKEND2_USERS);
                expect(
                    (await main.doveadm(["user", "*"]))
                        .split("\n")
                        .filter((l) => l !== "")
                        .sort(),
                ).toEqual(DEFAULT_USERS);
            }
        });

        it("preview right after up shows no changes", async () => {
            expect(changedSteps(await project.preview())).toEqual([]);
            expect(reloads(main)).toBe(1);
        });

        it("a folder renamed in the layout is renamed in place on both servers (same GUID)", async () => {
            const before: Record<string, string | undefined> = {};
            for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS])
                before[user] = (await serverOf(user).status(user, RENAMED.from))?.guid;
            await project.setConfig("folders:layout", JSON.stringify(renamedLayout));
            // The one verbose run, scanned for credentials at the end.
            const result = await project.up(["-v=9", "--logtostderr"]);
            verbose = result.output;
            await expectLayout(renamedLayout);
            const guids = outputGuids(language, await project.outputs());
            for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS]) {
                const after = await serverOf(user).status(user, RENAMED.to);
                expect({ user, guid: after?.guid }).toEqual({ user, guid: before[user] });
                expect(before[user]).toMatch(/^[0-9a-f]{32}$/);
                expect(guids[user]?.[RENAMED.to]).toBe(before[user]);
            }
            expect(changedSteps(await project.preview())).toEqual([]);
            expect(reloads(main)).toBe(1);
        });

        it("refresh finds nothing to change, and preview --expect-no-changes passes after it", async () => {
            expect(changedSteps(await project.previewRefresh())).toEqual([]);
            await project.refresh();
            await project.expectNoChanges();
        });

        it("pulumi import records a folder holding mail with its GUID, protected; the program then takes it over", async () => {
            await main.doveadm(["mailbox", "create", "-u", ALICE, LEGACY]);
            await main.deliver(ALICE, LEGACY, LEGACY_MESSAGES);
            const status = await main.status(ALICE, LEGACY);
            expect(status?.messages).toBe(LEGACY_MESSAGES);

            const code = path.join(project.root, "imported.yaml");
            await project.pulumi([
                "import",
                "dovecot:index:Mailbox",
                importedName,
                `${ALICE}/${LEGACY}`,
                "--yes",
                "--non-interactive",
                "--stack",
                project.stack,
                // The YAML host writes the resource's code. The Python and Go programs have it already
                // (the layout); and the hosts built here cannot write it: with code generation on,
                // `pulumi import` imports, then exits 1 (Python: "package block label is deprecated";
                // Go: "unknown method GenerateProgram").
                ...(language === "yaml" ? ["--out", code] : ["--generate-code=false"]),
            ]);
            const imported = byName(await dovecotResources(), importedName);
            expect(imported?.type).toBe("dovecot:index:Mailbox");
            expect(imported?.id).toBe(status?.guid);
            expect(imported?.outputs?.guid).toBe(status?.guid);
            expect(imported?.outputs?.messages).toBe(LEGACY_MESSAGES);
            expect(imported?.protect).toBe(true);
            fullExport = await project.exportText();

            if (language === "yaml") {
                // The code `pulumi import` wrote, pasted into the program as the README says: without
                // `protect: true` (so that destroy may delete it) and with the stack's forceDestroy.
                const text = readFileSync(code, "utf8");
                expect(text).toContain(`  ${importedName}:\n    type: dovecot:Mailbox\n`);
                expect(text).toContain("protect: true");
                const pasted = text
                    .replace(/\n {4}options:\n {6}protect: true/, "")
                    .replace("forceDestroy: false", "forceDestroy: ${folders:forceDestroy}");
                const program = withImportedYaml(project.read("Pulumi.yaml"), pasted);
                writeFileSync(path.join(project.dir, "Pulumi.yaml"), program);
                await project.expectNoChanges();
            } else {
                // The folder joins the layout, under the resource name the program gives it: alice's is
                // the imported one as it is; bob and carol get a new, empty one.
                const withLegacy = [...renamedLayout, { name: LEGACY, subscribed: false }];
                await project.setConfig("folders:layout", JSON.stringify(withLegacy));
                const steps = changedSteps(await project.preview());
                expect(steps.sort()).toEqual(
                    [...DEFAULT_USERS, ...BACKEND2_USERS]
                        .filter((user) => user !== ALICE)
                        .map((user) => `create ${user}/${LEGACY}`)
                        .sort(),
                );
            }
            await project.up();
            await project.expectNoChanges();
            const taken = byName(await dovecotResources(), importedName);
            expect(taken?.protect ?? false).toBe(false);
            expect(taken?.id).toBe(status?.guid);
            expect(await main.status(ALICE, LEGACY)).toEqual(status);
        });

        it("destroy refuses to delete the folder holding mail until forceDestroy is set", async () => {
            const status = await main.status(ALICE, LEGACY);
            // --continue-on-error: the other deletes go on after the refusal (without it the engine
            // starts no more deletes after the first failure, so what else is left depends on timing).
            const refused = await project.destroy(["--continue-on-error"], { allowFailure: true });
            expect(refused.code).not.toBe(0);
            expect(refused.output).toContain(
                `mailboxDelete for user "${ALICE}" on mailbox "${LEGACY}" failed: the mailbox holds ${LEGACY_MESSAGES} messages; nothing was deleted.`,
            );
            expect(refused.output).toContain("set forceDestroy: true");
            // The folder is there with its messages; everything else is gone.
            expect(await main.status(ALICE, LEGACY)).toEqual(status);
            for (const user of [...DEFAULT_USERS, ...BACKEND2_USERS])
                expect({ user, mailboxes: await serverOf(user).listMailboxes(user) }).toEqual({
                    user,
                    mailboxes: user === ALICE ? ["INBOX", LEGACY] : ["INBOX"],
                });
            const left = await dovecotResources();
            expect(left.map((r) => r.urn.split("::").pop())).toEqual([importedName]);

            // The stack's forceDestroy, applied to that folder alone, then destroy again.
            await project.setConfig("folders:forceDestroy", "true");
            await project.up(["--target", left[0]!.urn]);
            expect(byName(await dovecotResources(), importedName)?.outputs?.forceDestroy).toBe(true);
            await project.destroy();
            expect(await main.listMailboxes(ALICE)).toEqual(["INBOX"]);
            expect(await dovecotResources()).toEqual([]);
            expect(reloads(main)).toBe(1);
        });

        it("the plugin came from the project file: no command warned of one found on PATH", () => {
            // Every command of the run: the install blocks, each pulumi command, the -v=9 up.
            expect(project.history.length).toBeGreaterThan(10);
            expect(warnedOfPluginOnPath(project.history)).toEqual([]);
            // The verbose run shows the engine starting it from the folder Pulumi.yaml names.
            expect(verbose).toContain(path.join(REPO_ROOT, "dist", "plugin", "pulumi-resource-dovecot"));
        });

        it("no credential in the state, the backend's files or any command's output (-v=9 included)", async () => {
            const forms = (key: string) => [
                key,
                Buffer.from(key).toString("base64"),
                Buffer.from(key).toString("base64url"),
            ];
            const secrets = [...forms(main.apiKey), ...forms(backend2.apiKey)];
            // The verbose run really logged the engine's and the plugins' traffic.
            expect(verbose.length).toBeGreaterThan(10_000);
            expect(verbose).toContain("dovecot");
            expect(fullExport).toContain("pulumi:providers:dovecot");
            const texts: Array<[string, string]> = [
                ["the state export with every resource", fullExport],
                ["the final state export", await project.exportText()],
                ["the stack configuration file", project.read(`Pulumi.${project.stack}.yaml`)],
                ...filesUnder(project.stateDir).map((file): [string, string] => [
                    file,
                    readFileSync(file, "latin1"),
                ]),
                ...project.history.map((r, i): [string, string] => [
                    `command ${i}: ${r.args.join(" ")}`,
                    r.output,
                ]),
            ];
            expect(texts.length).toBeGreaterThan(10);
            for (const [where, text] of texts)
                for (const secret of secrets)
                    expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
        });
        more?.({ project: () => project, server: () => main });
    });
}
