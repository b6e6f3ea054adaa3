// The claims of one engine run meet across processes (see provider/claims.ts): a claim another live
// process of the same run holds refuses a second claimant, naming it; a claim of a process that died
// (a crashed or killed run), or of another run, blocks nothing. Other processes are real child
// processes that load the built claims module and claim as the provider processes do.
import { ChildProcess, fork } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
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

/** A child process that claims the folder "Twice" of alice as `name` in the run at `engine`, then waits. */
function claimant(dir: string, engine: string, name: string): Promise<ChildProcess> {
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
        child.once("message", () => resolve(child));
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`claimant exited ${code}`)));
    });
}

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
});
