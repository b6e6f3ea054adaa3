// What the provider says while it works (provider/progress.ts): each message names the command, the
// user, the mailboxes, the attempt, why and the wait; retries alike are merged and not repeated at
// info; events are built only when someone hears them, a request's only when the engine runs verbose;
// a Reload says that it waits after two seconds or a failed probe, and when it answers again; and no
// message ever holds a credential, in any form, even when the failure it quotes does.
import { DoveadmClient } from "../../provider/client/client";
import {
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    errorForExitCode,
} from "../../provider/client/errors";
import { ClientEvent, EventSource, RetryEvent, listenToClient, tell } from "../../provider/client/events";
import { credentialForms } from "../../provider/client/redact";
import { Transport } from "../../provider/client/transport";
import { Severity, forResource, onLog, setVerbosity } from "../../provider/engine";
import {
    ClientProgress,
    RELOAD_NOTICE_MS,
    RETRY_REPEAT_MS,
    Said,
    describeEvent,
    reloadProgress,
    reportClientProgress,
    retryMessage,
} from "../../provider/progress";
import { resolveSettings } from "../../provider/settings";

const API_KEY = "k3y-Of-The_API+/=";
const PASSWORD = "pass:word";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const SECRETS = [API_KEY, b64(API_KEY), PASSWORD, b64(`doveadm:${PASSWORD}`)];
const ORIGIN = "http://127.0.0.1:8080";
const ALICE = "alice@example.org";

/** A transport of a server with both credentials (it sends nothing here): the events' source. */
function transport(): Transport {
    return new Transport({
        url: `${ORIGIN}/doveadm/v1`,
        authorization: `X-Dovecot-API ${b64(API_KEY)}`,
        timeoutMs: 1000,
        credentialForms: credentialForms({ apiKey: API_KEY, password: PASSWORD }),
        retry: { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 4000 },
    });
}

const temporary = (mailbox: string) =>
    errorForExitCode(75, { command: "mailboxCreate", user: ALICE, mailbox });

const retry = (mailbox: string, attempt = 1): RetryEvent => ({
    kind: "retry",
    error: temporary(mailbox),
    attempt,
    attempts: 6,
    delayMs: 310,
});

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe("what the provider says while it works", () => {
    let source: Transport;
    beforeEach(() => {
        source = transport();
    });
    afterEach(async () => {
        await source.close();
    });

    it("a retry names the command, user, mailbox, server, attempt, reason and the wait", () => {
        expect(retryMessage(retry("Archive", 2), ORIGIN)).toBe(
            `pulumi-dovecot: mailboxCreate for user "${ALICE}" on mailbox "Archive" at ${ORIGIN} failed ` +
                "(attempt 2 of 6): the server reported a temporary failure (exit 75); trying again in 0.3 s",
        );
        const lost = new DoveadmUnknownOutcomeError(
            "DOVEADM_TIMEOUT",
            { command: "mailboxList", user: ALICE },
            `no answer from ${ORIGIN} within 2000 ms`,
            "Run again.",
        );
        expect(retryMessage({ ...retry("x"), error: lost, delayMs: 1500 }, ORIGIN)).toBe(
            `pulumi-dovecot: mailboxList for user "${ALICE}" at ${ORIGIN} failed (attempt 1 of 6): ` +
                `no answer from ${ORIGIN} within 2000 ms; trying again in 1.5 s`,
        );
    });

    it("a split says what failed, why, and how it is asked again, at debug", () => {
        const error = errorForExitCode(68, {
            command: "mailboxStatus",
            user: ALICE,
            mailbox: ["A", "B", "C"],
        });
        expect(describeEvent({ kind: "split", error, way: "halves", commands: 1 }, ORIGIN)).toEqual({
            severity: "debug",
            message:
                `pulumi-dovecot: mailboxStatus for user "${ALICE}" on mailboxes "A", "B", "C" at ${ORIGIN} failed as a whole ` +
                "(the mailbox does not exist (exit 68)): asking for the names in halves to find those that are not mailboxes",
        });
        const whole = temporary("A").withContext({ command: "mailboxCreate+mailboxStatus", user: ALICE });
        expect(
            describeEvent({ kind: "split", error: whole, way: "writes", commands: 7 }, ORIGIN)?.message,
        ).toMatch(
            /^pulumi-dovecot: a request of 7 commands \(mailboxCreate\+mailboxStatus for user "alice@example.org" at .*\) failed as a whole \(the server reported a temporary failure \(exit 75\)\): settling each write on its own/,
        );
    });

    it("a request sent names its commands, users and server, at debug", () => {
        const users = ["a", "b", "c", "d", "e", "f", "g"].map((u) => `${u}@example.org`);
        expect(
            describeEvent(
                { kind: "request", label: "mailboxCreate+mailboxStatus", commands: 9, users },
                ORIGIN,
            ),
        ).toEqual({
            severity: "debug",
            message:
                'pulumi-dovecot: sending mailboxCreate+mailboxStatus (9 commands; users "a@example.org", "b@example.org", ' +
                `"c@example.org", "d@example.org", "e@example.org", and 2 more) to ${ORIGIN}`,
        });
        expect(
            describeEvent({ kind: "request", label: "GET /doveadm/v1", commands: 0, users: [] }, ORIGIN)
                ?.message,
        ).toBe(`pulumi-dovecot: sending GET /doveadm/v1 to ${ORIGIN}`);
    });

    it("retries alike in one tick are one message naming their mailboxes; the same again within a minute is debug", async () => {
        const said: Said[] = [];
        let now = 1_000_000;
        const progress = new ClientProgress(
            (s) => said.push(s),
            () => now,
        );
        for (const name of ["A", "B", "C"]) progress.hear(retry(name), source);
        progress.hear(retry("A", 2), source);
        await nextTick();
        expect(said).toEqual([
            {
                severity: "info",
                message: expect.stringContaining(
                    `on mailboxes "A", "B", "C" at ${ORIGIN} failed (attempt 1 of 6)`,
                ),
            },
            { severity: "info", message: expect.stringContaining('on mailbox "A" at') },
        ]);
        expect(said[1]?.message).toContain("(attempt 2 of 6)");

        said.length = 0;
        now += RETRY_REPEAT_MS - 1;
        progress.hear(retry("D"), source);
        await nextTick();
        expect(said).toEqual([{ severity: "debug", message: expect.stringContaining('on mailbox "D"') }]);

        said.length = 0;
        now += RETRY_REPEAT_MS;
        progress.hear(retry("E"), source);
        await nextTick();
        expect(said).toEqual([{ severity: "info", message: expect.stringContaining('on mailbox "E"') }]);
    });

    it("no message holds a credential, even when the failure it quotes or a name does", async () => {
        const said: Said[] = [];
        const progress = new ClientProgress((s) => said.push(s));
        const echoed = `the server answered: Authorization: X-Dovecot-API ${b64(API_KEY)} (${API_KEY}); ${b64(`doveadm:${PASSWORD}`)}`;
        const leaky = new DoveadmTemporaryError(
            "DOVEADM_TEMPORARY",
            { command: "mailboxCreate", user: ALICE, mailbox: `Box-${API_KEY}` },
            echoed,
            "Run again.",
        );
        const events: ClientEvent[] = [
            { ...retry("x"), error: leaky },
            { kind: "split", error: leaky, way: "names", commands: 1 },
            { kind: "split", error: leaky, way: "writes", commands: 3 },
            { kind: "request", label: "mailboxCreate", commands: 1, users: [`${PASSWORD}@example.org`] },
        ];
        for (const event of events) progress.hear(event, source);
        await nextTick();
        expect(said).toHaveLength(4);
        for (const { message } of said) {
            for (const secret of SECRETS) expect(message).not.toContain(secret);
            expect(message).toContain("[credential removed]");
        }
    });

    describe("in this process", () => {
        let heard: Array<{ severity: Severity; message: string; urn: string }>;
        let stop: (() => void) | undefined;
        const request = (source: EventSource) =>
            tell("request", source, () => ({ label: "mailboxList", commands: 1, users: [ALICE] }));

        beforeAll(() => reportClientProgress());
        afterEach(() => {
            stop?.();
            stop = undefined;
            setVerbosity(undefined);
        });

        it("nothing is built when nobody hears it (no engine, no listener)", () => {
            const build = jest.fn(() => ({ label: "mailboxList", commands: 1, users: [ALICE] }));
            setVerbosity(5);
            tell("request", source, build);
            tell("split", source, () => {
                throw new Error("built a split nobody hears");
            });
            expect(build).not.toHaveBeenCalled();
        });

        it("a request is told only when the engine runs verbose; messages of the client go to the stack", async () => {
            heard = [];
            stop = onLog((severity, message, urn) => heard.push({ severity, message, urn }));
            setVerbosity(0);
            request(source);
            expect(heard).toEqual([]);
            setVerbosity(1);
            request(source);
            expect(heard).toEqual([
                {
                    severity: "debug",
                    message: `pulumi-dovecot: sending mailboxList (1 command; user "${ALICE}") to ${ORIGIN}`,
                    urn: "",
                },
            ]);
        });

        it("a listener that fails never fails the request", () => {
            const stopFailing = listenToClient(() => {
                throw new Error("listener failed");
            });
            try {
                expect(() => request(source)).not.toThrow();
            } finally {
                stopFailing();
            }
        });
    });

    describe("a Reload's wait", () => {
        const URN = "urn:pulumi:test::p::dovecot:index:Reload::reload";
        let heard: Array<{ severity: Severity; message: string; urn: string }>;
        let stop: () => void;
        let client: DoveadmClient;

        beforeEach(() => {
            jest.useFakeTimers();
            heard = [];
            stop = onLog((severity, message, urn) => heard.push({ severity, message, urn }));
            client = new DoveadmClient(
                resolveSettings(undefined, { DOVEADM_ENDPOINT: ORIGIN, DOVEADM_API_KEY: API_KEY }),
            );
        });
        afterEach(async () => {
            stop();
            jest.useRealTimers();
            await client.close();
        });

        it("a server that answers at once: said at debug only", () => {
            const progress = forResource(URN, () => reloadProgress(client, 30_000));
            jest.advanceTimersByTime(RELOAD_NOTICE_MS - 500);
            progress.answered();
            progress.stop();
            jest.advanceTimersByTime(RELOAD_NOTICE_MS);
            expect(heard).toEqual([
                {
                    severity: "debug",
                    message: `Reload: Dovecot at ${ORIGIN} reloaded and answered again 1.5 s after the reload`,
                    urn: URN,
                },
            ]);
        });

        it("a server silent for two seconds: said at info, and when it answers again", () => {
            const progress = forResource(URN, () => reloadProgress(client, 30_000));
            jest.advanceTimersByTime(RELOAD_NOTICE_MS);
            expect(heard).toEqual([
                {
                    severity: "info",
                    message: `Reload: waiting for Dovecot at ${ORIGIN} to answer again after the reload (at most 30.0 s)`,
                    urn: URN,
                },
            ]);
            jest.advanceTimersByTime(1_000);
            progress.answered();
            progress.stop();
            expect(heard.map((h) => h.message)).toEqual([
                expect.stringContaining("waiting"),
                `Reload: Dovecot at ${ORIGIN} answers again, 3.0 s after the reload`,
            ]);
            expect(heard.map((h) => h.severity)).toEqual(["info", "info"]);
        });

        it("a failed probe: said at once with its reason, once, without the credential it quotes", () => {
            const progress = forResource(URN, () => reloadProgress(client, 30_000));
            const refused = new DoveadmUnreachableError(
                "DOVEADM_UNREACHABLE",
                { command: "GET /doveadm/v1" },
                `could not connect to ${ORIGIN} (ECONNREFUSED) as ${b64(API_KEY)}: details`,
                "Check.",
            );
            progress.notAnswering(refused);
            progress.notAnswering(refused);
            jest.advanceTimersByTime(RELOAD_NOTICE_MS * 2);
            progress.stop();
            expect(heard).toEqual([
                {
                    severity: "info",
                    message:
                        `Reload: waiting for Dovecot at ${ORIGIN} to answer again after the reload (at most 30.0 s); ` +
                        `it does not answer yet: could not connect to ${ORIGIN} (ECONNREFUSED) as [credential removed]`,
                    urn: URN,
                },
            ]);
        });

        it("a wait that ended (failed) says nothing more", () => {
            const progress = reloadProgress(client, 30_000);
            progress.stop();
            jest.advanceTimersByTime(RELOAD_NOTICE_MS * 2);
            expect(heard).toEqual([]);
        });
    });
});
