// What `reload` over the doveadm HTTP API does when the new configuration does not load, and which
// answers of the API tell a reload that took effect from one that did not, on the version
// DOVECOT_VERSION asks for (2.3.19.1 or 2.4.1). Every expectation was seen on both versions.
//
// What was found:
// - `reload` answers `[]` whatever happens; the master handles the SIGHUP before the next request is
//   served, so the answers below are right from the first request after it.
// - A configuration that does not parse is not loaded: the server goes on with the old one (the old
//   API key still works, the new one gets 401), as long as a config process is running.
// - 2.4: `logErrors` (with `since`, unix seconds of the server's clock) shows the master's Warning
//   "SIGHUP received - reloading configuration" for every reload and, when the file did not load, an
//   Error row "Failed to read configuration: ...". 2.3: the master's own lines never reach `logErrors`
//   (only the log file has them); there, and on 2.4 too, a reload that took effect replaces the config
//   process (a new pid in `processStatus`) and restarts the doveadm service's process count
//   (`serviceStatus` process_total); a reload that failed changes neither.
// - The trap: right after a reload that did take effect, no config process runs until some process
//   needs one. If the file is broken by then, the config process started for the next request reads
//   it and dies, and with it every new process: requests get no answer (the reload request too), and
//   after the file is fixed the server needs several seconds (its restart throttling) to answer again.
//   Seen by hand on both versions; not a test here, because whether a config process is running at
//   that moment depends on the server's timing (a test of it failed on a busy machine).
import { readFileSync, writeFileSync } from "node:fs";
import { Sandbox, dovecotVersion, startDovecot, logged } from "../harness/dovecot";
import { Answer, exitCodeBody, outcome, reply, responseBody, send } from "../harness/doveadm";
import { sleep } from "../harness/waits";

const version = dovecotVersion();
const ALICE = "alice@example.org";

/** The rows of a successful answer; fails the test otherwise. */
function rows<Row = Record<string, string>>(answer: Answer): Row[] {
    const result = outcome(answer);
    if (!("ok" in result)) throw new Error(`no rows: ${JSON.stringify(result)}`);
    return result.ok as Row[];
}

/** The unix time (seconds) of an answer's Date header: the server's clock. */
const serverSeconds = (answer: Answer) => (answer.closed ? NaN : Math.floor(Date.parse(answer.date) / 1000));

/** A row of `logErrors`. */
interface LogRow {
    timestamp: string;
    prefix: string;
    type: string;
    text: string;
}

/** 2.3 logs seconds, 2.4 microseconds; neither a year nor a time zone (the server's local time). */
const TIMESTAMP =
    version === "2.4"
        ? /^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/
        : /^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}$/;

const SIGHUP_ROW = {
    timestamp: expect.stringMatching(TIMESTAMP),
    prefix: "master: ",
    type: "Warning",
    text: "SIGHUP received - reloading configuration",
};

/** The line every test breaks the configuration with. */
const BAD_LINE = "this_is_not_a_setting = 1";

/** What tells the generation of the server's configuration: the config process and doveadm's count. */
async function generation(sandbox: Sandbox): Promise<{ configPids: string[]; doveadmProcesses: number }> {
    // serviceStatus first: its own doveadm process is the one counted.
    const services = rows(await send(sandbox, "serviceStatus", { service: ["doveadm"] }));
    const processes = rows(await send(sandbox, "processStatus", { service: ["config"] }));
    return {
        configPids: processes.map((p) => p.pid ?? "").sort(),
        doveadmProcesses: Number(services[0]?.process_total),
    };
}

describe(`reload and its failure, seen over the HTTP API (Dovecot ${version})`, () => {
    let sandbox: Sandbox;
    /** A server that allows only `reload` and `mailbox list`. */
    let restricted: Sandbox;
    /** A server that allows `log errors` by its doveadm name. */
    let allowed: Sandbox;
    let original: string;
    const logErrors = async (target: Sandbox, since?: unknown) =>
        rows<LogRow>(await send(target, "logErrors", since === undefined ? {} : { since }));

    beforeAll(async () => {
        [sandbox, restricted, allowed] = await Promise.all([
            startDovecot({ users: ["alice"] }),
            startDovecot({
                users: ["alice"],
                extraConfig: ["doveadm_allowed_commands = reload,mailbox list"],
            }),
            startDovecot({ users: ["alice"], extraConfig: ["doveadm_allowed_commands = reload,log errors"] }),
        ]);
        original = readFileSync(sandbox.configPath, "utf8");
    }, 60_000);
    afterAll(async () => {
        await Promise.all([sandbox?.stop(), restricted?.stop(), allowed?.stop()]);
    }, 60_000);
    afterEach(() => {
        // Never leave a broken file behind for the next test (or for stop()).
        if (sandbox) writeFileSync(sandbox.configPath, original);
    });

    it("a reload that loads: a new config process and a new doveadm count at once; logErrors gets a Warning on 2.4, nothing on 2.3", async () => {
        const before = await generation(sandbox);
        expect(before.configPids).toHaveLength(1);
        // The server's time just before the reload: what to pass as `since`.
        const since = serverSeconds(await send(sandbox, "mailboxList", { user: ALICE }));
        const reload = await send(sandbox, "reload", {});
        expect(rows(reload)).toEqual([]);
        const after = await generation(sandbox);
        expect(after.configPids).toHaveLength(1);
        expect(after.configPids).not.toEqual(before.configPids);
        // The status request's own process is the first of the new generation.
        expect(after.doveadmProcesses).toBe(1);
        expect(await logErrors(sandbox, since)).toEqual(version === "2.4" ? [SIGHUP_ROW] : []);
        await logged(sandbox, "master: Warning: SIGHUP received - reloading configuration");
    });

    it("a reload that does not load: answered [] all the same; the old configuration stays; 2.4 says why in logErrors", async () => {
        const newKey = "a-key-of-a-config-that-does-not-load";
        const broken = `${original.replace(/^doveadm_api_key = .*$/m, `doveadm_api_key = ${newKey}`)}${BAD_LINE}\n`;
        const badLine = broken.split("\n").indexOf(BAD_LINE) + 1;
        // Rows of the test before are at least a second older than anything from here on.
        await sleep(1_100);
        // A config process runs (the requests of generation() made sure of it): the reload asks it.
        const before = await generation(sandbox);
        // The server's time just before the reload: what to pass as `since` (the Date of the reload's
        // own answer can be a second later than the rows the reload logs).
        const since = serverSeconds(await send(sandbox, "mailboxList", { user: ALICE }));
        writeFileSync(sandbox.configPath, broken);
        const reload = await send(sandbox, "reload", {});
        expect(rows(reload)).toEqual([]);

        // Nothing changed: the same config process, the doveadm count goes on (+ list, reload, this).
        const after = await generation(sandbox);
        expect(after.configPids).toEqual(before.configPids);
        expect(after.doveadmProcesses).toBeGreaterThanOrEqual(before.doveadmProcesses + 4);

        const failure = {
            timestamp: expect.stringMatching(TIMESTAMP),
            prefix: "master: ",
            type: "Error",
            text: `Failed to read configuration: Failed to read config: Error in configuration file ${sandbox.configPath} line ${badLine}: this_is_not_a_setting: Unknown setting: this_is_not_a_setting - doveconf execution fallback is disabled`,
        };
        if (version === "2.4") {
            expect(await logErrors(sandbox, since)).toEqual([SIGHUP_ROW, failure]);
            await logged(
                sandbox,
                `master: Error: Failed to read configuration: Failed to read config: Error in configuration file ${sandbox.configPath} line ${badLine}:`,
            );
        } else {
            // Only the log file says so, in other words than 2.4's.
            expect(await logErrors(sandbox, since)).toEqual([]);
            await logged(
                sandbox,
                `master: Error: Error reading configuration: Error in configuration file ${sandbox.configPath} line ${badLine}: Unknown setting: this_is_not_a_setting - Also failed to read config by executing doveconf: ${sandbox.dir}/run/config is a UNIX socket`,
            );
        }

        // The old key still works, the new one is refused (and that refusal is an Error row too).
        expect(rows(await send(sandbox, "mailboxList", { user: ALICE }))).toEqual([{ mailbox: "INBOX" }]);
        expect(reply(await send(sandbox, "mailboxList", { user: ALICE }, { key: newKey }))).toMatchObject({
            closed: false,
            status: 401,
            body: "",
        });
        const refused = {
            timestamp: expect.stringMatching(TIMESTAMP),
            prefix: version === "2.4" ? "doveadm(127.0.0.1): " : "doveadm(127.0.0.1)",
            type: "Error",
            text: `${version === "2.4" ? "http: " : ""}Invalid authentication attempt to HTTP API (using X-Dovecot-API authentication scheme)`,
        };
        let all: LogRow[] = [];
        for (let i = 0; i < 200 && !all.some((row) => row.text.includes("Invalid authentication")); i++) {
            if (i > 0) await sleep(100);
            all = await logErrors(sandbox, since);
        }
        expect(all).toEqual(version === "2.4" ? [SIGHUP_ROW, failure, refused] : [refused]);

        // `since` is compared with the rows' own time: nothing from three seconds after the answer on.
        expect(await logErrors(sandbox, serverSeconds(reload) + 3)).toEqual([]);
        // 0, a negative number and digits in a string mean "everything"; other values are refused.
        const everything = await logErrors(sandbox);
        expect(everything.length).toBeGreaterThanOrEqual(version === "2.4" ? 3 : 0);
        expect(await logErrors(sandbox, 0)).toEqual(everything);
        expect(await logErrors(sandbox, -1)).toEqual(everything);
        expect(await logErrors(sandbox, "1")).toEqual(everything);
        for (const since of ["abc", 1.5])
            expect(reply(await send(sandbox, "logErrors", { since }))).toMatchObject({
                status: 200,
                body: [["error", { type: "invalidRequest", exitCode: 0 }, "t1"]],
            });

        // Fixed and reloaded again: it loads (a new config process), and 2.4 adds only the Warning.
        writeFileSync(sandbox.configPath, original);
        const fixed = await send(sandbox, "reload", {});
        expect(rows(fixed)).toEqual([]);
        const reloaded = await generation(sandbox);
        expect(reloaded.configPids).not.toEqual(after.configPids);
        expect(reloaded.doveadmProcesses).toBe(1);
        expect(await logErrors(sandbox, serverSeconds(fixed) + 3)).toEqual([]);
        // Since the broken reload: one more Warning, no other Error from the master.
        const master = (await logErrors(sandbox, since)).filter((row) => row.prefix === "master: ");
        expect(master).toEqual(version === "2.4" ? [SIGHUP_ROW, failure, SIGHUP_ROW] : []);
    });

    it("logErrors also carries the reason a mail command failed, with the user and session in the prefix", async () => {
        const before = await send(sandbox, "mailboxList", { user: ALICE });
        expect(reply(await send(sandbox, "mailboxDelete", { user: ALICE, mailbox: ["Nope"] }))).toMatchObject(
            {
                status: 200,
                body: exitCodeBody(68),
            },
        );
        // The log process takes the line a moment after the answer.
        let found: LogRow[] = [];
        for (let i = 0; i < 200 && found.length === 0; i++) {
            found = (await logErrors(sandbox, serverSeconds(before) - 1)).filter((row) =>
                row.text.includes("Nope"),
            );
            if (found.length === 0) await sleep(100);
        }
        expect(found).toEqual([
            {
                timestamp: expect.stringMatching(TIMESTAMP),
                // 2.3: no ": " at the end of the prefix; 2.4 names the command in the text.
                prefix: expect.stringMatching(
                    version === "2.4"
                        ? /^doveadm\(alice@example\.org\)<\d+><[A-Za-z0-9+/]{22}>: $/
                        : /^doveadm\(alice@example\.org\)<\d+><[A-Za-z0-9+/]{22}>$/,
                ),
                type: "Error",
                text: `${version === "2.4" ? "cmd mailbox delete: " : ""}Can't delete mailbox Nope: Mailbox doesn't exist: Nope`,
            },
        ]);
    });

    it("refuses logErrors, processStatus and serviceStatus outside doveadm_allowed_commands (unAuthorized); `log errors` allows logErrors", async () => {
        for (const command of ["logErrors", "processStatus", "serviceStatus"])
            expect([command, reply(await send(restricted, command, {}))]).toMatchObject([
                command,
                { status: 200, body: [["error", { type: "unAuthorized", exitCode: 0 }, "t1"]] },
            ]);
        expect(rows(await send(restricted, "mailboxList", { user: ALICE }))).toEqual([{ mailbox: "INBOX" }]);
        expect(reply(await send(allowed, "logErrors", {}))).toMatchObject({
            status: 200,
            body: responseBody(),
        });
    });

    it("instanceList shows no generation: the same row before and after a reload", async () => {
        const list = async () =>
            rows(await send(sandbox, "instanceList", {})).map(({ path, name, running }) => ({
                path,
                name,
                running,
            }));
        const before = await list();
        expect(before).toEqual([
            { path: `${sandbox.dir}/run`, name: expect.stringMatching(/^pulumi-dovecot-/), running: "yes" },
        ]);
        expect(rows(await send(sandbox, "reload", {}))).toEqual([]);
        expect(await list()).toEqual(before);
    });
});
