// What the server takes, checked before anything is sent, on Dovecot 2.3 and 2.4, through the handlers'
// life cycle in-process (test/server/limits-harness.test.ts records the limits themselves): a value
// over the server version's limit fails in check() (so in `preview`) with the limit and the version,
// its size and a short prefix, never the whole value; Sieve names are counted in bytes; NUL is
// refused; a long Sieve script that Dovecot cannot send back intact is not taken for drift; and a
// server that refuses a large request (HTTP 400 on 2.4, 413 on 2.3) is reported as refusing its size,
// never as a bug of pulumi-dovecot. (How the CLI prints a refused large value: test/cli/limits.test.ts.)
import { DoveadmClient } from "../../provider/client/client";
import { DoveadmError } from "../../provider/client/errors";
import { resolveSettings } from "../../provider/settings";
import { Sandbox, dovecotVersion, startDovecot } from "../harness/dovecot";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { rejection } from "../harness/providers";

jest.setTimeout(120_000);

const version = dovecotVersion();
const ALICE = "alice@example.org";
/** A Sieve script of about `bytes` bytes that compiles: a comment, then `keep`. */
const scriptOf = (bytes: number, filler = "a") => `# ${filler.repeat(bytes)}\nkeep;\n`;

describe(`what the server takes, checked before sending (Dovecot ${version})`, () => {
    let sandbox: Sandbox;
    let stack: LifeCycle;
    const sieve = (args: Record<string, unknown>): Declared => ({
        kind: "sieve",
        name: "script",
        args: { user: ALICE, name: "rules", active: false, ...args },
    });
    const metadata = (value: string): Declared => ({
        kind: "metadata",
        name: "comment",
        args: { user: ALICE, mailbox: "INBOX", key: "/private/comment", value },
    });
    const scripts = async () => (await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim();
    /** The preview's refusal of `specs`, as the engine would print it. */
    const refusal = async (specs: Declared[]) => String((await stack.preview(specs)).error?.message);

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
        stack = new LifeCycle(
            { "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey },
            "limits",
        );
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it.each([
        ["Sieve script", () => sieve({ script: scriptOf(40_000) }), /the script is 40,\d{3} bytes/],
        ["METADATA value", () => metadata("m".repeat(40_000)), /the value is 40,000 bytes/],
    ])(
        "a 40 KB %s: over 2.4's limit, refused in preview; stored and read back on 2.3",
        async (_what, spec, size) => {
            if (version === "2.4") {
                const message = await refusal([spec()]);
                expect(message).toMatch(size);
                expect(message).toMatch(
                    /and Dovecot 2\.4 takes at most 32,768 bytes in one value over its HTTP API/,
                );
                expect(message).not.toMatch(/a bug in pulumi-dovecot/);
                // Its size and a short prefix, never the whole value.
                expect(message).toMatch(/ \(40,0\d\d bytes of UTF-8, starting "/);
                expect(message.length).toBeLessThan(2_000);
                expect(await scripts()).toBe("");
                return;
            }
            await applied(stack.up([spec()]));
            await applied(stack.refresh());
            expect(await stack.changes([spec()])).toEqual([]);
            await applied(stack.up([]));
        },
    );

    it("a 2 MiB Sieve script is refused in preview on every version, with the limit, its size and a prefix", async () => {
        const message = await refusal([sieve({ script: scriptOf(2 * 1_048_576) })]);
        expect(message).toMatch(/must be at most 1,048,576 bytes of UTF-8/);
        expect(message).toMatch(/script \(2,097,\d{3} bytes of UTF-8, starting "# aaaa/);
        expect(message.length).toBeLessThan(2_000);
        expect(await scripts()).toBe("");
    });

    it("a Sieve name of 200 × 日 (600 bytes) is refused in preview: names are counted in bytes", async () => {
        expect(await refusal([sieve({ name: "日".repeat(200), script: scriptOf(10) })])).toMatch(
            /must be at most 128 bytes of UTF-8 \(it is 600\)/,
        );
        expect(await scripts()).toBe("");
    });

    it.each([
        ["Sieve text", () => sieve({ script: "keep;\u0000\n" }), /script holds a NUL character/],
        ["a METADATA value", () => metadata("a\u0000b"), /value holds a NUL character/],
    ])("NUL in %s is refused in preview", async (_what, spec, message) => {
        const refused = await refusal([spec()]);
        expect(refused.split("\u0000").join("")).toMatch(message);
        expect(refused).not.toMatch(/a bug in pulumi-dovecot/);
    });

    it("a Sieve script with a character across byte 8192, which Dovecot cannot send back intact, is not taken for drift", async () => {
        // 8,190 bytes of comment, then `é` (2 bytes) across byte 8192 of the script.
        const script = `# ${"a".repeat(8_189)}é and more\nkeep;\n`;
        expect(Buffer.from(script).subarray(8191, 8193).toString()).toBe("é");
        await applied(stack.up([sieve({ script })]));
        await applied(stack.refresh());
        expect(await stack.changes([sieve({ script })])).toEqual([]);
        await applied(stack.up([]));
    });
});

describe(`a server that refuses a large request (Dovecot ${version})`, () => {
    let sandbox: Sandbox;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("is reported as refusing its size (with the server's words), never as a bug", async () => {
        const client = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: sandbox.endpoint,
                DOVEADM_API_KEY: sandbox.apiKey,
            }),
        );
        // Sent as is (the raw client checks no limit): over 2.4's value limit, or 2.3's request limit.
        const size = version === "2.4" ? 40_000 : 1_100_000;
        const error = await rejection(
            client.metadataSet(ALICE, "INBOX", "/private/comment", "v".repeat(size)),
        );
        expect(error).toBeInstanceOf(DoveadmError);
        expect(error.code).toBe("DOVEADM_REQUEST_TOO_LARGE");
        expect(error.message).toMatch(
            version === "2.4" ? /HTTP 400: "JSON parse error: Excessive string size/ : /HTTP 413/,
        );
        expect(error.message).toMatch(/make it smaller/);
        expect(error.message).not.toMatch(/bug/);
        await client.close();
    });
});
