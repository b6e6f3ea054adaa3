// The CI examples (examples/ci/) run for real: the exact `pulumi` commands of their preview, up and
// drift jobs, read from the YAML files themselves, against a sandbox Dovecot. The drift check
// (`pulumi preview --refresh --expect-no-changes`) must pass when only mail arrived, and fail, naming
// the resource, when a managed folder was renamed, deleted or unsubscribed out of band, until the
// `up` job's command has put it back.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { CommandResult, PulumiProject, REPO_ROOT, ResourceSpec } from "../harness/pulumi";

// js-yaml comes with @pulumi/pulumi; it has no type declarations here.
const yaml = require("js-yaml") as { load(text: string): unknown };

jest.setTimeout(300_000);

const CI_DIR = path.join(REPO_ROOT, "examples", "ci");
const ALICE = "alice@example.org";
const BOB = "bob@example.org";
/** The stack the harness creates, which the files' `$STACK` stands for. */
const STACK = "test";

/** What each job runs, after `pulumi`, with `$STACK` filled in. */
const PREVIEW = ["preview", "--diff", "--non-interactive", "--stack", STACK];
const UP = ["up", "--yes", "--refresh", "--non-interactive", "--stack", STACK];
const DRIFT = [
    "preview",
    "--refresh",
    "--expect-no-changes",
    "--diff",
    "--non-interactive",
    "--stack",
    STACK,
];

/** Splits one shell command line into words (quotes removed, `$STACK` filled in), up to a pipe or redirection. */
function shellWords(line: string): string[] {
    const words: string[] = [];
    for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
        const raw = match[3];
        if (raw !== undefined && /^(\||\|\||&&|;|\d*>.*|<.*)$/.test(raw)) break;
        words.push((match[1] ?? match[2] ?? raw ?? "").replace(/\$\{?STACK\}?/g, STACK));
    }
    return words;
}

/** The `pulumi` command lines of some shell script text, as words without the leading `pulumi`. */
function pulumiCommands(scripts: string[]): string[][] {
    return scripts
        .flatMap((script) => script.split("\n"))
        .map((line) => line.trim())
        .filter((line) => /^pulumi\s/.test(line))
        .map((line) => shellWords(line).slice(1));
}

type Doc = Record<string, unknown>;

function load(file: string): Doc {
    return yaml.load(readFileSync(path.join(CI_DIR, file), "utf8")) as Doc;
}

/** The `run` scripts of a GitHub Actions job. */
function githubRuns(doc: Doc, job: string): string[] {
    const jobs = doc.jobs as Record<string, { steps: { run?: string }[] }>;
    return jobs[job]!.steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));
}

/** The `script` lines of a GitLab CI job. */
function gitlabScript(doc: Doc, job: string): string[] {
    return (doc[job] as { script: string[] }).script;
}

function mailbox(name: string, user: string, mailboxName: string): ResourceSpec {
    return { kind: "Mailbox", name, args: { user, name: mailboxName } };
}

const RESOURCES: ResourceSpec[] = [
    mailbox("alice-projects", ALICE, "Projects"),
    mailbox("alice-archive", ALICE, "Archive/2026"),
    mailbox("bob-lists", BOB, "Lists"),
    mailbox("bob-receipts", BOB, "Receipts"),
    { kind: "Subscription", name: "bob-team", args: { user: BOB, mailbox: "Shared/Team" } },
];

describe("examples/ci: the preview, up and drift jobs' commands", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;
    // Taken from the GitHub Actions file (the first test checks that the GitLab file agrees).
    let commands: { preview: string[]; up: string[]; drift: string[] };

    beforeAll(async () => {
        const github = load("github-actions.yml");
        commands = {
            preview: pulumiCommands(githubRuns(github, "preview"))[0] ?? [],
            up: pulumiCommands(githubRuns(github, "up"))[0] ?? [],
            drift: pulumiCommands(githubRuns(github, "drift"))[0] ?? [],
        };
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        project = await PulumiProject.create({ server: sandbox, name: "ci-example", resources: RESOURCES });
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    /** Runs one job's command as the CI file has it; resolves with its result whatever the exit. */
    async function job(which: "preview" | "up" | "drift"): Promise<CommandResult> {
        return project.pulumi(commands[which], { allowFailure: true, timeoutMs: 120_000 });
    }

    /** The drift check, which must pass. */
    async function expectNoDrift(): Promise<void> {
        const result = await job("drift");
        expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({
            code: 0,
            output: "",
        });
    }

    /** The drift check, which must fail and name the resource. */
    async function expectDrift(resource: string): Promise<CommandResult> {
        const result = await job("drift");
        expect(result.timedOut).toBe(false);
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(/no changes were expected .*but changes were proposed/);
        expect(result.output).toContain(`::${resource}`);
        return result;
    }

    /** The up job's command, which must succeed. */
    async function up(): Promise<CommandResult> {
        const result = await job("up");
        expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({
            code: 0,
            output: "",
        });
        return result;
    }

    it("the GitHub Actions and GitLab CI files run the same commands, on the right triggers", () => {
        const github = load("github-actions.yml");
        const gitlab = load("gitlab-ci.yml");
        expect(pulumiCommands(githubRuns(github, "preview"))).toEqual([PREVIEW]);
        expect(pulumiCommands(githubRuns(github, "up"))).toEqual([UP]);
        expect(pulumiCommands(githubRuns(github, "drift"))).toEqual([DRIFT]);
        expect(pulumiCommands(gitlabScript(gitlab, "preview"))).toEqual([PREVIEW]);
        expect(pulumiCommands(gitlabScript(gitlab, "up"))).toEqual([UP]);
        expect(pulumiCommands(gitlabScript(gitlab, "drift"))).toEqual([DRIFT]);
        expect(commands).toEqual({ preview: PREVIEW, up: UP, drift: DRIFT });

        // GitHub: preview on pull requests, up on main (serialized, never cancelled), drift on a schedule.
        const on = github.on as Record<string, unknown>;
        expect(Object.keys(on).sort()).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
        const jobs = github.jobs as Record<string, Record<string, unknown>>;
        expect(jobs.preview!.if).toBe("github.event_name == 'pull_request'");
        expect(jobs.up!.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
        expect(jobs.up!.concurrency).toEqual({ group: "pulumi-up-prod", "cancel-in-progress": false });
        expect(jobs.drift!.if).toBe(
            "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'",
        );
        // GitLab: merge request pipelines, the default branch, scheduled pipelines; one job at a time.
        const rules = (job: string) => (gitlab[job] as { rules: { if: string }[] }).rules.map((r) => r.if);
        expect(rules("preview")).toEqual(['$CI_PIPELINE_SOURCE == "merge_request_event"']);
        expect(rules("up")).toEqual([
            '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH',
        ]);
        expect(rules("drift")).toContain('$CI_PIPELINE_SOURCE == "schedule"');
        expect((gitlab.up as Doc).resource_group).toBe("pulumi-prod");
        expect((gitlab.drift as Doc).resource_group).toBe("pulumi-prod");

        // The release workflow: on a version tag, with provenance (the package and the Node.js SDK); then
        // the plugin's tarballs and the Python packages attached to the tag's release, and the Go
        // module's tag once it is vetted. test/release/publish-ready.test.ts runs the build steps.
        const release = load("release.yml");
        expect(release.on).toEqual({ push: { tags: ["v*"] } });
        const releaseJobs = release.jobs as Record<string, Doc>;
        expect((releaseJobs.publish?.permissions as Doc)["id-token"]).toBe("write");
        expect((release.permissions as Doc)["id-token"]).toBeUndefined();
        const releaseRuns = githubRuns(release, "publish").join("\n");
        expect(releaseRuns).toContain("npm publish --provenance --access public");
        const pluginRuns = githubRuns(release, "plugin").join("\n");
        expect(pluginRuns).toContain(
            'bash scripts/build-plugin-binary.sh dist/provider/plugin/main.js out/pulumi-resource-dovecot --tarball "$version"',
        );
        expect((releaseJobs.plugin?.strategy as { matrix: { runner: string[] } }).matrix.runner).toEqual([
            "ubuntu-latest",
            "ubuntu-24.04-arm",
        ]);
        expect(githubRuns(release, "python").join("\n")).toContain("python -m build sdk/python --outdir out");
        expect(releaseRuns).toContain("npm publish ./sdk/nodejs --provenance --access public");
        expect(githubRuns(release, "go")).toEqual(["go vet ./..."]);
        expect(releaseJobs.attach?.needs).toEqual(["plugin", "python", "go"]);
        expect((releaseJobs.attach?.permissions as Doc).contents).toBe("write");
        const attachRuns = githubRuns(release, "attach").join("\n");
        expect(attachRuns).toContain('gh release create "$GITHUB_REF_NAME" out/* --verify-tag');
        expect(attachRuns).toContain('git push origin "sdk/go/$GITHUB_REF_NAME"');
    });

    it("preview shows the creates and changes nothing", async () => {
        const result = await job("preview");
        expect(result.code).toBe(0);
        for (const resource of RESOURCES) expect(result.output).toContain(`::${resource.name}]`);
        expect(result.output).toMatch(/\+ 6 to create/);
        expect(await sandbox.status(ALICE, "Projects")).toBeUndefined();
        expect(await sandbox.listSubscriptions(BOB)).not.toContain("Shared/Team");
    });

    it("up creates every folder and subscription; the drift check then passes", async () => {
        await up();
        expect(await sandbox.listMailboxes(ALICE)).toEqual(
            expect.arrayContaining(["Projects", "Archive/2026"]),
        );
        expect(await sandbox.listMailboxes(BOB)).toEqual(expect.arrayContaining(["Lists", "Receipts"]));
        expect(await sandbox.listSubscriptions(BOB)).toEqual(
            expect.arrayContaining(["Lists", "Receipts", "Shared/Team"]),
        );
        await expectNoDrift();
    });

    it("mail arriving is not drift: counters are outputs, not inputs", async () => {
        await sandbox.deliver(ALICE, "Projects", 3);
        await sandbox.deliver(BOB, "Lists", 2);
        await expectNoDrift();

        // The up job's refresh records the new counters (outputs) and changes nothing on the server.
        const before = await sandbox.status(ALICE, "Projects");
        const result = await up();
        expect(result.output).not.toMatch(/to create|to update|to delete|to replace/);
        const state = await project.stateResource("alice-projects");
        expect(state?.outputs).toMatchObject({ name: "Projects", messages: 3, guid: before?.guid });
        expect(state?.inputs).not.toHaveProperty("messages");
        expect((await project.stateResource("bob-lists"))?.outputs).toMatchObject({ messages: 2 });
        expect(await sandbox.status(ALICE, "Projects")).toEqual(before);
        await expectNoDrift();
    });

    it("a folder renamed out of band fails the drift check until up renames it back", async () => {
        const before = await sandbox.status(ALICE, "Projects");
        await sandbox.doveadm(["mailbox", "rename", "-u", ALICE, "Projects", "Projects-old"]);
        const drift = await expectDrift("alice-projects");
        expect(drift.output).toContain("Projects-old");

        // `up` without --refresh compares the program with the state only: it sees nothing to do.
        const plain = await project.pulumi(["up", "--yes", "--non-interactive", "--stack", STACK], {
            allowFailure: true,
        });
        expect(plain.code).toBe(0);
        expect(await sandbox.status(ALICE, "Projects")).toBeUndefined();
        await expectDrift("alice-projects");

        await up();
        expect(await sandbox.status(ALICE, "Projects")).toEqual(before);
        expect(await sandbox.status(ALICE, "Projects-old")).toBeUndefined();
        expect(await sandbox.listSubscriptions(ALICE)).toContain("Projects");
        await expectNoDrift();
    });

    it("a folder deleted out of band fails the drift check until up creates it again", async () => {
        const before = await sandbox.status(BOB, "Receipts");
        await sandbox.doveadm(["mailbox", "delete", "-u", BOB, "Receipts"]);
        await expectDrift("bob-receipts");
        await up();
        const after = await sandbox.status(BOB, "Receipts");
        expect(after).toBeDefined();
        expect(after?.guid).not.toBe(before?.guid);
        expect(await sandbox.listSubscriptions(BOB)).toContain("Receipts");
        await expectNoDrift();
    });

    it.each([
        ["a Subscription", BOB, "Shared/Team", "bob-team"],
        ["a Mailbox", ALICE, "Archive/2026", "alice-archive"],
    ])(
        "%s unsubscribed out of band fails the drift check until up subscribes again",
        async (_kind, user, folder, resource) => {
            await sandbox.doveadm(["mailbox", "unsubscribe", "-u", user, folder]);
            expect(await sandbox.listSubscriptions(user)).not.toContain(folder);
            await expectDrift(resource);
            await up();
            expect(await sandbox.listSubscriptions(user)).toContain(folder);
            await expectNoDrift();
        },
    );
});
