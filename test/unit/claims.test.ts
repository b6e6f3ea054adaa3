// The claims of one engine run meet across processes (see provider/claims.ts): a claim another live
// process of the same run holds refuses a second claimant, naming it; a claim of a process that died
// (a crashed or killed run), or of another run, blocks nothing. Other processes are real child
// processes that load the built claims module and claim as the provider processes do.
import { ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { claim, declaredElsewhere, folderClaim, forgetClaims } from "../../provider/claims";
import { configureConnection } from "../../provider/connection";
import { setEngineAddress } from "../../provider/engine";
import { DIST_PROVIDER } from "../harness/pulumi";

const ENDPOINT = "http://127.0.0.1:8080";
/** The stack configuration of one server at `endpoint`. */
const settings = (endpoint: string) => ({
    get: (key: string) => ({ "dovecot:endpoint": endpoint, "dovecot:apiKey": "k" })[key],
});

/**
 * A child process that claims the folder "Twice" of alice as `name` in the run at `engine`, then waits;
 * with what its claim was refused for.
 */
function claimantWith(
    dir: string,
    engine: string,
    name: string,
): Promise<{ child: ChildProcess; failures: Array<{ reason: string }> }> {
    const script = path.join(dir, `claimant-${name}.js`);
    writeFileSync(
        script,
        `const engine = require(${JSON.stringify(path.join(DIST_PROVIDER, "engine.js"))});
const connection = require(${JSON.stringify(path.join(DIST_PROVIDER, "connection.js"))});
const claims = require(${JSON.stringify(path.join(DIST_PROVIDER, "claims.js"))});
engine.setEngineAddress(${JSON.stringify(engine)});
connection.configureConnection({ get: (key) => ({ "dovecot:endpoint": ${JSON.stringify(ENDPOINT)}, "dovecot:apiKey": "k" })[key] });
const failures = claims.claim({ kind: "Mailbox", name: ${JSON.stringify(name)}, face: "package" }, [
    claims.folderClaim(undefined, "alice@example.org", "Twice", "name"),
]);
process.send({ failures });
setInterval(() => undefined, 1000);
`,
    );
    const child = fork(script, [], { stdio: "ignore" });
    return new Promise((resolve, reject) => {
        child.once("message", (message) =>
            resolve({ child, failures: (message as { failures: Array<{ reason: string }> }).failures }),
        );
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`claimant exited ${code}`)));
    });
}

const claimant = async (dir: string, engine: string, name: string) =>
    (await claimantWith(dir, engine, name)).child;

/** The folder where the provider processes of the engine run at `engine` meet (claims.ts). */
const runFolder = (engine: string) =>
    path.join(
        os.tmpdir(),
        `pulumi-dovecot-claims-${process.getuid?.() ?? 0}`,
        createHash("sha256").update(engine).digest("hex").slice(0, 24),
    );

const killed = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
    });

describe("claims across the processes of one engine run", () => {
    let dir: string;
    const children: ChildProcess[] = [];
    const target = () => folderClaim(undefined, "ALICE@example.org", "Twice", "name");

    beforeEach(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-claims-test-"));
        forgetClaims();
    });
    afterEach(async () => {
        for (const child of children.splice(0)) if (child.exitCode === null) await killed(child);
        rmSync(dir, { recursive: true, force: true });
        setEngineAddress(undefined);
        forgetClaims();
    });

    it("refuses a target another live process of the run claimed, naming it, whatever the server's name for the endpoint", async () => {
        const engine = `127.0.0.1:${40_000 + (process.pid % 20_000)}`;
        children.push(await claimant(dir, engine, "first"));
        setEngineAddress(engine);
        // The same server, its endpoint written another way.
        configureConnection(settings(`${ENDPOINT}/doveadm/v1/`));
        const failures = claim({ kind: "Mailbox", name: "second", face: "dynamic" }, [target()]);
        expect(failures).toHaveLength(1);
        expect(failures[0]?.reason).toMatch(
            /the Mailbox "second" declares the folder "Twice" of user "ALICE@example.org", which the Mailbox "first" of this program declares too/,
        );
        expect(declaredElsewhere(target())).toMatchObject({ kind: "Mailbox", name: "first" });
    });

    it("lets a claim of a killed process, or of another run, block nothing", async () => {
        const engine = `127.0.0.1:${41_000 + (process.pid % 20_000)}`;
        const first = await claimant(dir, engine, "first");
        children.push(await claimant(dir, `127.0.0.1:${42_000 + (process.pid % 20_000)}`, "other-run"));
        await killed(first);
        setEngineAddress(engine);
        configureConnection(settings(ENDPOINT));
        expect(claim({ kind: "Mailbox", name: "second" }, [target()])).toEqual([]);
        expect(declaredElsewhere(target(), { kind: "Mailbox", name: "second" })).toBeUndefined();
    });

    it("keeps claims within the process when it serves no engine run", () => {
        setEngineAddress(undefined);
        configureConnection(settings(ENDPOINT));
        expect(claim({ kind: "Mailbox", name: "a" }, [target()])).toEqual([]);
        expect(claim({ kind: "Mailbox", name: "a" }, [target()])).toEqual([]);
        expect(claim({ kind: "FolderSet", name: "b" }, [target()])).toHaveLength(1);
    });

    it("keeps every claim of the run when its folder or file is removed under it (another run's sweep, a cleaner)", async () => {
        const engine = `127.0.0.1:${43_000 + (process.pid % 20_000)}`;
        setEngineAddress(engine);
        configureConnection(settings(ENDPOINT));
        const mine = { kind: "Mailbox", name: "mine" };
        expect(claim(mine, [target()])).toEqual([]);
        // Another run's sweep took the folder before the next line, then a cleaner took the file alone.
        rmSync(runFolder(engine), { recursive: true, force: true });
        expect(claim(mine, [folderClaim(undefined, "alice@example.org", "Second", "name")])).toEqual([]);
        rmSync(path.join(runFolder(engine), readdirSync(runFolder(engine))[0] ?? "none"));
        expect(claim(mine, [folderClaim(undefined, "alice@example.org", "Third", "name")])).toEqual([]);
        // The first claim is still there for another process of the run.
        const other = await claimantWith(dir, engine, "other");
        children.push(other.child);
        expect(other.failures).toHaveLength(1);
        expect(other.failures[0]?.reason).toMatch(/which the Mailbox "mine" of this program declares too/);
    });

    it("sweeps only what the gone writers of other runs left: never a live writer's file", async () => {
        const live = `127.0.0.1:${44_000 + (process.pid % 20_000)}`;
        children.push(await claimant(dir, live, "live"));
        // A writer that is gone (no such process) beside the live one; a run of gone writers only; an
        // empty run.
        const gone = "999999999-1.jsonl";
        writeFileSync(path.join(runFolder(live), gone), "");
        const finished = runFolder(`${live}-finished`);
        mkdirSync(finished, { recursive: true });
        writeFileSync(path.join(finished, gone), "");
        const empty = runFolder(`${live}-empty`);
        mkdirSync(empty, { recursive: true });
        // The first claim of a process of a new run sweeps.
        setEngineAddress(`127.0.0.1:${45_000 + (process.pid % 20_000)}`);
        configureConnection(settings(ENDPOINT));
        expect(claim({ kind: "Mailbox", name: "new" }, [target()])).toEqual([]);
        expect(readdirSync(runFolder(live))).toEqual([expect.stringMatching(/^\d+-\d+\.jsonl$/)]);
        expect(existsSync(finished)).toBe(false);
        expect(existsSync(empty)).toBe(false);
        // The live writer's claim still refuses a second claimant of its run.
        setEngineAddress(live);
        forgetClaims();
        expect(claim({ kind: "Mailbox", name: "second" }, [target()])).toHaveLength(1);
    });
});
