// What the provider says while it works, heard in-process (engine.onLog, which hears every message
// the engine would get) while the handlers run against a real Dovecot behind the fault proxy: a
// retried command says which command, user and mailbox, which attempt, why and the wait; a request
// asked again in parts says so at debug; each request is said only when the engine runs verbose; a
// Reload that waits says so and says when it is done, attached to its resource where the plugin's
// request names it; nothing is said at info when nothing is retried; and no message holds a
// credential in any form, even when the failure it quotes echoed one. The server's state is checked
// with the doveadm command line and the server's log.
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { resetEndpointState } from "../../provider/client/client";
import { currentClient } from "../../provider/connection";
import { dispatch } from "../../provider/dispatcher";
import { Severity, onLog, setVerbosity } from "../../provider/engine";
import { creatorOf } from "../../provider/ownership";
import { DovecotProvider } from "../../provider/plugin/server";
import { toStruct } from "../../provider/plugin/values";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, deferred, startFaultProxy } from "../harness/fault-proxy";

jest.setTimeout(90_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

/** What the engine would have been told. */
interface Heard {
    severity: Severity;
    message: string;
    urn: string;
}

describe("what the provider says while it works, against a real Dovecot", () => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let heard: Heard[];
    let stopHearing: () => void;
    /** Every form of the server's credentials a message might hold. */
    let secrets: string[];

    const messages = (severity: Severity) =>
        heard.filter((h) => h.severity === severity).map((h) => h.message);
    const reloads = () =>
        sandbox
            .log()
            .split("\n")
            .filter((line) => /SIGHUP received - reloading configuration/.test(line)).length;

    /** Configures the provider (as the engine's configure() does) for the proxy in front of the sandbox. */
    async function configure(): Promise<void> {
        resetEndpointState();
        const settings: Record<string, string> = {
            "dovecot:endpoint": proxy.endpoint,
            "dovecot:apiKey": sandbox.apiKey,
            "dovecot:password": sandbox.password,
        };
        await dispatch("mailbox", "configure", [{ config: { get: (key: string) => settings[key] } }]);
    }

    /** Creates a Mailbox resource as the dynamic provider does (with its GUID tag). */
    async function createMailbox(user: string, name: string): Promise<Loose> {
        const creator = creatorOf("Mailbox", "progress", "test", name);
        const { inputs, failures } = (await dispatch("mailbox", "check", [
            {},
            { user, name, creator },
        ])) as Loose;
        expect(failures).toBeUndefined();
        return dispatch("mailbox", "create", [inputs]);
    }

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        secrets = [
            sandbox.apiKey,
            Buffer.from(sandbox.apiKey).toString("base64"),
            sandbox.password,
            Buffer.from(`doveadm:${sandbox.password}`).toString("base64"),
        ];
        stopHearing = onLog((severity, message, urn) => heard.push({ severity, message, urn }));
    });
    afterAll(async () => {
        stopHearing?.();
        await proxy?.close();
        await sandbox?.stop();
    });
    beforeEach(async () => {
        heard = [];
        setVerbosity(0);
        proxy.setRules([]);
        proxy.reset();
        await configure();
    });
    afterEach(() => {
        // Whatever a test made happen, no message may hold a credential.
        for (const { message } of heard)
            for (const secret of secrets) expect(message.includes(secret) ? message : "").toBe("");
    });

    it("says nothing at info when nothing is retried or waited for", async () => {
        await createMailbox(ALICE, "Quiet/A");
        expect(await sandbox.status(ALICE, "Quiet/A")).toBeDefined();
        await currentClient().snapshot(ALICE, 0);
        expect(messages("info")).toEqual([]);
        expect(heard).toEqual([]);
    });

    it("a create the server refuses as temporary: its command, user, mailbox, attempt, reason and wait, at info", async () => {
        // Every command of the request is refused (75), as a user's busy lock does.
        proxy.setRules([{ command: "mailboxCreate", action: { kind: "exit", exitCode: 75 }, times: 1 }]);
        await createMailbox(ALICE, "Progress/Temp");
        expect(await sandbox.status(ALICE, "Progress/Temp")).toBeDefined();
        const retry = (command: string, mailbox: string) =>
            `^pulumi-dovecot: ${command} for user "${ALICE}" on mailbox "${mailbox}" at ${proxy.endpoint} ` +
            "failed \\(attempt 1 of 6\\): the server reported a temporary failure \\(exit 75\\); trying again in \\d+\\.\\d s$";
        // The commands of the request sent again alone, then the create, named by the mailbox's name
        // (not the temporary one it is made under): each said once.
        expect(messages("info")).toEqual([
            expect.stringMatching(new RegExp(retry("mailboxDelete", "Progress/pulumi-dovecot-[0-9a-f]{32}"))),
            expect.stringMatching(new RegExp(retry("mailboxSubscribe", "Progress/Temp"))),
            expect.stringMatching(new RegExp(retry("mailboxCreate", "Progress/Temp"))),
        ]);
        // The client's messages belong to the stack: one request serves many resources.
        expect(new Set(heard.map((h) => h.urn))).toEqual(new Set([""]));
    });

    it("a subscription whose answer was lost: sent again, and said so with the socket's reason", async () => {
        proxy.setRules([{ command: "mailboxSubscribe", action: { kind: "close-before" }, times: 1 }]);
        await currentClient().setSubscribed(BOB, "Lists/Dev", true);
        expect(await sandbox.listSubscriptions(BOB)).toContain("Lists/Dev");
        expect(messages("info")).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^pulumi-dovecot: mailboxSubscribe for user "${BOB}" on mailbox "Lists/Dev" at ${proxy.endpoint} ` +
                        `failed \\(attempt 1 of 6\\): the connection to ${proxy.endpoint} closed without an answer \\(\\w+\\), so it is unknown whether the command ran; trying again in \\d+\\.\\d s$`,
                ),
            ),
        ]);
    });

    it("a status of several names that fails as a whole is asked again in halves: one debug message per split", async () => {
        for (const name of ["Split/A", "Split/B", "Split/C"])
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, name]);
        // The server answers 68 to the status of all four (as Dovecot does when one of them is a parent
        // that is not a mailbox); the halves go through.
        proxy.setRules([{ command: "mailboxStatus", action: { kind: "exit", exitCode: 68 }, times: 1 }]);
        const client = currentClient();
        const names = ["Split/A", "Split/B", "Split/Missing", "Split/C"];
        const found = await Promise.all(names.map((name) => client.findStatus(ALICE, name)));
        expect(found.map((status) => status !== undefined)).toEqual([true, true, false, true]);
        expect(proxy.count("mailboxStatus")).toBe(3);
        expect(messages("debug")).toEqual([
            `pulumi-dovecot: mailboxStatus for user "${ALICE}" on mailboxes "Split/A", "Split/B", "Split/Missing", "Split/C" at ${proxy.endpoint} failed as a whole (the mailbox does not exist (exit 68)): asking for the names in halves to find those that are not mailboxes`,
        ]);
        expect(messages("info")).toEqual([]);
    });

    it("each request sent is said at debug only when the engine runs verbose", async () => {
        await currentClient().snapshot(ALICE, 0);
        expect(proxy.requests.length).toBeGreaterThan(0);
        expect(heard).toEqual([]);

        setVerbosity(1);
        proxy.reset();
        await currentClient().snapshot(BOB, 0);
        const sent = messages("debug").filter((m) => m.startsWith("pulumi-dovecot: sending "));
        expect(sent).toHaveLength(proxy.requests.length);
        expect(sent[0]).toMatch(new RegExp(`\\(\\d+ commands?; user "${BOB}"\\) to ${proxy.endpoint}$`));
    });

    it("a Reload whose server does not answer at once says it waits, why, and when it answers again", async () => {
        const before = reloads();
        // The probes after the reload get their connection closed, twice.
        proxy.setRules([{ command: "GET", action: { kind: "close-before" }, times: 2 }]);
        const { inputs } = (await dispatch("reload", "check", [{}, { triggers: ["progress-1"] }])) as Loose;
        await dispatch("reload", "create", [inputs]);
        expect(reloads()).toBe(before + 1);
        expect(proxy.requests.filter((r) => r.fault === "close-before")).toHaveLength(2);
        expect(messages("info")).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^Reload: waiting for Dovecot at ${proxy.endpoint} to answer again after the reload \\(at most 30\\.0 s\\); ` +
                        `it does not answer yet: the connection to ${proxy.endpoint} closed without an answer \\(\\w+\\)$`,
                ),
            ),
            expect.stringMatching(
                new RegExp(
                    `^Reload: Dovecot at ${proxy.endpoint} answers again, \\d+\\.\\d s after the reload$`,
                ),
            ),
        ]);
        // The dynamic provider's calls do not name their resource: the stack's.
        expect(heard.map((h) => h.urn)).toEqual(["", ""]);
    });

    it("through the plugin, a Reload that waits over two seconds says so, attached to its resource", async () => {
        const before = reloads();
        // The first probe after the reload is held until the provider says it waits: the provider's own
        // clock decides when, and the test only sees it happen.
        const release = deferred<"forward" | "drop">();
        proxy.setRules([{ command: "GET", action: { kind: "hold", until: release.promise }, times: 1 }]);
        const stopWatching = onLog((_severity, message) => {
            if (message.startsWith("Reload: waiting")) release.resolve("forward");
        });
        const urn = "urn:pulumi:test::progress::dovecot:index:Reload::reload";
        const request = new provproto.CreateRequest();
        request.setUrn(urn);
        request.setProperties(toStruct({ triggers: ["progress-2"] }));
        try {
            await new Promise<void>((resolve, reject) =>
                new DovecotProvider("0.0.0", "{}").create({ request } as Loose, (error) =>
                    error ? reject(error) : resolve(),
                ),
            );
        } finally {
            stopWatching();
            release.resolve("forward");
        }
        expect(reloads()).toBe(before + 1);
        expect(heard).toEqual([
            {
                severity: "info",
                message: `Reload: waiting for Dovecot at ${proxy.endpoint} to answer again after the reload (at most 30.0 s)`,
                urn,
            },
            {
                severity: "info",
                message: expect.stringMatching(
                    /^Reload: Dovecot at .* answers again, \d+\.\d s after the reload$/,
                ),
                urn,
            },
        ]);
    });

    it("a request that failed as a whole, its answer echoing the credential: split at debug, the echo without it", async () => {
        setVerbosity(1);
        const echo = (view: { headers: Record<string, unknown> }) =>
            `bad request: Authorization: ${String(view.headers.authorization)} (${sandbox.apiKey})`;
        proxy.setRules([
            { command: "mailboxCreate", action: { kind: "status", status: 400, body: echo }, times: 1 },
        ]);
        // Two creates of one user in one tick: one request of several commands.
        const results = await Promise.allSettled([
            createMailbox(ALICE, "Echo/A"),
            createMailbox(ALICE, "Echo/B"),
        ]);
        expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
        expect(await sandbox.status(ALICE, "Echo/A")).toBeUndefined();
        expect(await sandbox.status(ALICE, "Echo/B")).toBeUndefined();
        const split = messages("debug").find((m) => m.includes("failed as a whole"));
        expect(split).toMatch(
            /^pulumi-dovecot: a request of \d+ commands \(mailboxCreate\+mailboxRename\+\S+ for user "alice@example.org" at .*\) failed as a whole \(the server could not parse the request \(HTTP 400: .*\[credential removed\].*\)\): settling each write on its own/,
        );
        // A 401 that echoes the credential stops the run: said by its error alone, never as progress.
        proxy.setRules([{ command: "*", action: { kind: "status", status: 401, body: echo } }]);
        heard = [];
        await expect(createMailbox(BOB, "Echo/C")).rejects.toThrow(/HTTP 401/);
        expect(heard.filter((h) => !h.message.startsWith("pulumi-dovecot: sending "))).toEqual([]);
        expect(heard.length).toBeGreaterThan(0);
    });
});
