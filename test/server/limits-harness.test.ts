// The size and character limits the doveadm HTTP API enforces, measured on the version DOVECOT_VERSION
// asks for (2.3.19.1 or 2.4.1), with raw requests: the JSON string limit of 2.4 (what it counts), the
// request body limit of 2.3, the largest METADATA value and Sieve script each version takes, Sieve
// script names (characters and bytes), NUL and other control characters, and mailbox name lengths.
// Every expectation was seen on both versions; a Dovecot that changes any of them fails here, so the
// provider's own limits can be checked against the server's.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox, dovecotVersion, startDovecot, logged } from "../harness/dovecot";
import { call as callOutcome, commandList, exit, ok, outcome, post as postRaw } from "../harness/doveadm";
import { homeOf } from "../harness/small-disk";

const version = dovecotVersion();
const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const CAROL = "carol@example.org";
const DAVE = "dave@example.org";

/** 2.4's limit on one JSON string, in bytes of the decoded (UTF-8) text. */
const STRING_LIMIT = 32_768;
/** 2.3's limit on a request body, in bytes. */
const BODY_LIMIT = 1_048_576;

/** Large bodies: room for a slow answer. */
const SLOW = { timeoutMs: 30_000 };
/** Sends a raw request body to the doveadm HTTP API; never throws. */
const post = (sandbox: Sandbox, body: string | Buffer) => postRaw(sandbox, body, SLOW);
/** Sends one command and reduces the answer to an Outcome (bodies parsed: 2.3 and 2.4 space differently). */
const call = (sandbox: Sandbox, command: string, params: object) =>
    callOutcome(sandbox, command, params, SLOW);

/** `value` with every string over 100 characters replaced by its size and hash: short failure output. */
function digest(value: unknown): unknown {
    if (typeof value === "string")
        return value.length > 100
            ? `<${Buffer.byteLength(value)} bytes, sha1 ${createHash("sha1").update(value).digest("hex")}>`
            : value;
    if (Array.isArray(value)) return value.map(digest);
    if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, digest(v)]));
    return value;
}

const closed = { closed: true };
/** 2.4's answer to a string parameter over the limit (one not read as a stream). */
const tooLong = { http: 400, text: `JSON parse error: Excessive string size (> ${STRING_LIMIT})\r\n` };
/** 2.4's answer to a stream parameter (sievePut's `file`) whose text the JSON parser refuses. */
const streamRefused = (reason: string) => ({
    http: 400,
    text: `JSON parse error: read((seekable JSON string)) failed: read((JSON string parsed from 127.0.0.1)) failed: ${reason}\r\n`,
});

/**
 * A text of exactly `bytes` UTF-8 bytes made of `unit` repeated, padded with "a": as a METADATA value,
 * or (`sieve`) as a script that compiles, a hash comment: "#", padding, the units, "\n".
 */
function textOf(unit: string, bytes: number, sieve = false): string {
    const overhead = sieve ? 2 : 0;
    const count = Math.floor((bytes - overhead) / Buffer.byteLength(unit));
    const pad = "a".repeat(bytes - overhead - count * Buffer.byteLength(unit));
    const text = sieve ? `#${pad}${unit.repeat(count)}\n` : unit.repeat(count) + pad;
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
}

/** Characters whose UTF-8 and JSON forms differ in size: what the 2.4 limit counts is the decoded text. */
const UNITS: Record<string, string> = {
    a: "ASCII a (1 byte, 1 in JSON)",
    é: "é (2 bytes, 2 in JSON)",
    日: "日 (3 bytes, 3 in JSON)",
    "😀": "😀 (4 bytes, 4 in JSON)",
    "\n": "newline (1 byte, 2 in JSON)",
    '"': "double quote (1 byte, 2 in JSON)",
    "\\": "backslash (1 byte, 2 in JSON)",
    "\u0001": "U+0001 (1 byte, 6 in JSON)",
};

describe(`doveadm HTTP API limits (Dovecot ${version})`, () => {
    let sandbox: Sandbox;
    /** A second server whose sieve_max_script_size is 1k. */
    let smallSieve: Sandbox;

    beforeAll(async () => {
        [sandbox, smallSieve] = await Promise.all([
            startDovecot({ users: ["alice", "bob", "carol", "dave"], plugins: true }),
            startDovecot({
                users: ["alice"],
                plugins: true,
                extraConfig:
                    version === "2.3"
                        ? ["plugin {", "  sieve_max_script_size = 1k", "}"]
                        : ["sieve_max_script_size = 1k"],
            }),
        ]);
    }, 60_000);
    afterAll(async () => {
        await Promise.all([sandbox?.stop(), smallSieve?.stop()]);
    }, 60_000);

    it("tells 2.4 from 2.3 by the noUserdbLookup parameter of mailboxCreate in GET /doveadm/v1", async () => {
        const commands = await commandList(sandbox);
        const create = commands.find((c) => c.command === "mailboxCreate");
        expect(create?.parameters).toEqual([
            { name: "allUsers", type: "boolean" },
            { name: "socketPath", type: "string" },
            { name: "user", type: "string" },
            { name: "transFlags", type: "integer" },
            ...(version === "2.4" ? [{ name: "noUserdbLookup", type: "boolean" }] : []),
            { name: "userFile", type: "string" },
            { name: "subscriptions", type: "boolean" },
            { name: "guid", type: "string" },
            { name: "mailbox", type: "array" },
        ]);
        // Every mail command (those taking allUsers) has it on 2.4; no command has it on 2.3.
        const mailCommands = commands.filter((c) => c.parameters.some((p) => p.name === "allUsers"));
        expect(mailCommands.length).toBeGreaterThan(40);
        const withIt = commands.filter((c) => c.parameters.some((p) => p.name === "noUserdbLookup"));
        expect(withIt.map((c) => c.command)).toEqual(
            version === "2.4" ? mailCommands.map((c) => c.command) : [],
        );
    });

    describe("one JSON string: 2.4 takes 32,768 bytes of decoded UTF-8, whatever the JSON form; 2.3 has no such limit", () => {
        /**
         * Where a long text can go: the command that stores it, and how to read back what was stored
         * (a Sieve script from its file: sieveGet mangles some long scripts, see below).
         */
        interface Carrier {
            set: (text: string) => [string, object];
            stored: () => Promise<unknown>;
            sieve: boolean;
        }
        const metadataValue = async (mailbox: string) => {
            const answer = await call(sandbox, "mailboxMetadataGet", {
                user: ALICE,
                mailbox,
                key: "/private/comment",
                ...(mailbox === "" ? { allowEmptyMailboxName: true } : {}),
            });
            return "ok" in answer ? (answer.ok as Array<{ value: string }>)[0]?.value : answer;
        };
        const carriers: Array<[string, Carrier]> = [
            [
                "a METADATA value on INBOX",
                {
                    set: (value) => [
                        "mailboxMetadataSet",
                        { user: ALICE, mailbox: "INBOX", key: "/private/comment", value },
                    ],
                    stored: () => metadataValue("INBOX"),
                    sieve: false,
                },
            ],
            [
                'a METADATA value of the user (mailbox "")',
                {
                    set: (value) => [
                        "mailboxMetadataSet",
                        {
                            user: ALICE,
                            mailbox: "",
                            allowEmptyMailboxName: true,
                            key: "/private/comment",
                            value,
                        },
                    ],
                    stored: () => metadataValue(""),
                    sieve: false,
                },
            ],
            [
                "a Sieve script (sievePut's file)",
                {
                    set: (file) => ["sievePut", { user: ALICE, scriptname: "limit", file }],
                    stored: async () =>
                        readFileSync(path.join(homeOf(sandbox, ALICE), "sieve", "limit.sieve"), "utf8"),
                    sieve: true,
                },
            ],
        ];
        it.each(carriers)("%s", async (_what, { set, stored, sieve }) => {
            const run = ([command, params]: [string, object]) => call(sandbox, command, params);
            for (const [unit, what] of Object.entries(UNITS)) {
                const fits = textOf(unit, STRING_LIMIT, sieve);
                expect([what, await run(set(fits))]).toEqual([what, ok()]);
                expect([what, digest(await stored())]).toEqual([what, digest(fits)]);

                const over = textOf(unit, STRING_LIMIT + 1, sieve);
                const refusal = sieve ? streamRefused(`Excessive string size (> ${STRING_LIMIT})`) : tooLong;
                if (version === "2.4") {
                    expect([what, await run(set(over))]).toEqual([what, refusal]);
                    // Refused before any command ran: the stored text is the last one.
                    expect([what, digest(await stored())]).toEqual([what, digest(fits)]);
                } else {
                    expect([what, await run(set(over))]).toEqual([what, ok()]);
                    expect([what, digest(await stored())]).toEqual([what, digest(over)]);
                }
            }
        });

        it("counts a \\u escape as the bytes it stands for", async () => {
            // é written as \u00e9: 6 characters of JSON, 2 bytes of text.
            const body = (count: number) =>
                `[["mailboxMetadataSet",{"user":"${BOB}","mailbox":"INBOX","key":"/private/comment","value":"${"\\u00e9".repeat(count)}"},"t1"]]`;
            expect(outcome(await post(sandbox, body(STRING_LIMIT / 2)))).toEqual(ok());
            expect(outcome(await post(sandbox, body(STRING_LIMIT / 2 + 1)))).toEqual(
                version === "2.4" ? tooLong : ok(),
            );
        });

        it("applies to every string parameter, the METADATA key too", async () => {
            const key = `/private/${"k".repeat(STRING_LIMIT + 1 - "/private/".length)}`;
            expect(Buffer.byteLength(key)).toBe(STRING_LIMIT + 1);
            expect(
                await call(sandbox, "mailboxMetadataSet", { user: BOB, mailbox: "INBOX", key, value: "x" }),
            ).toEqual(version === "2.4" ? tooLong : ok());
        });
    });

    it("takes request bodies of at most 1 MiB on 2.3 (HTTP 413 above), and far larger ones on 2.4", async () => {
        // A mailboxList padded with spaces inside its outer array: only the body's size varies.
        const base = JSON.stringify([["mailboxList", { user: BOB, mailboxMask: ["INBOX"] }, "t1"]]);
        const padded = (size: number) => `${base.slice(0, -1)}${" ".repeat(size - base.length)}]`;
        const inbox = ok([{ mailbox: "INBOX" }]);
        expect(outcome(await post(sandbox, padded(BODY_LIMIT)))).toEqual(inbox);
        const over = await post(sandbox, padded(BODY_LIMIT + 1));
        if (version === "2.3") {
            expect(over).toMatchObject({ status: 413, text: "Payload Too Large\r\n" });
            expect(over.closed ? "" : over.contentType).toBe("text/plain; charset=utf-8");
        } else {
            expect(outcome(over)).toEqual(inbox);
            expect(outcome(await post(sandbox, padded(16 * BODY_LIMIT)))).toEqual(inbox);
        }
    });

    it("stores METADATA values and Sieve scripts as large as the request allows: 1 MiB of JSON on 2.3, 32 KiB on 2.4", async () => {
        // 2.3: the body limit is the only one; the value is the body less its envelope.
        const metadata = (value: string) =>
            JSON.stringify([
                [
                    "mailboxMetadataSet",
                    { user: CAROL, mailbox: "INBOX", key: "/private/comment", value },
                    "t1",
                ],
            ]);
        const sieve = (file: string) =>
            JSON.stringify([["sievePut", { user: CAROL, scriptname: "big", file }, "t1"]]);
        const largest = (envelope: (text: string) => string, sieveText: boolean) => {
            const size = version === "2.3" ? BODY_LIMIT - envelope("").length : STRING_LIMIT;
            // The script's newline is two characters of JSON.
            return sieveText ? `#${"s".repeat(size - 3)}\n` : "m".repeat(size);
        };
        const value = largest(metadata, false);
        const script = largest(sieve, true);
        expect(outcome(await post(sandbox, metadata(value)))).toEqual(ok());
        expect(
            digest(
                await call(sandbox, "mailboxMetadataGet", {
                    user: CAROL,
                    mailbox: "INBOX",
                    key: "/private/comment",
                }),
            ),
        ).toEqual(digest(ok([{ value }])));
        expect(outcome(await post(sandbox, sieve(script)))).toEqual(ok());
        expect(digest(await call(sandbox, "sieveGet", { user: CAROL, scriptname: "big" }))).toEqual(
            digest(ok([{ "sieve script": script }])),
        );
        if (version === "2.3") {
            expect(value.length).toBe(1_048_464);
            expect(script.length).toBe(1_048_498);
            // One byte more is a body over the limit.
            expect(outcome(await post(sandbox, metadata(`${value}m`)))).toEqual({
                http: 413,
                text: "Payload Too Large\r\n",
            });
            expect(outcome(await post(sandbox, sieve(`${script}\n`)))).toEqual({
                http: 413,
                text: "Payload Too Large\r\n",
            });
        }
    });

    it("refuses a Sieve script over sieve_max_script_size with 65, the reason only in the log", async () => {
        // The default is 1M (2.4's doveconf says `sieve_max_script_size = 1 M`): out of reach over HTTP
        // on both versions (2.3's body limit, 2.4's string limit). This server has 1k.
        const put = (bytes: number) =>
            call(smallSieve, "sievePut", {
                user: ALICE,
                scriptname: `s${bytes}`,
                file: textOf("a", bytes, true),
            });
        expect(await put(1024)).toEqual(ok());
        expect(await put(1025)).toEqual(exit(65));
        await logged(smallSieve, "sieve: s1025: sieve script is too large (max 1024 bytes)");
        expect(await call(smallSieve, "sieveGet", { user: ALICE, scriptname: "s1025" })).toEqual(exit(68));
    });

    describe("Sieve script names", () => {
        const put = (scriptname: string) =>
            call(sandbox, "sievePut", { user: DAVE, scriptname, file: "keep;\n" });
        const host = os.hostname();
        /** Digits of the largest pid the kernel hands out. */
        const pidDigits = String(Number(readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()) - 1).length;

        it("are at most 256 characters (any kind); a longer one kills the process: no answer", async () => {
            for (const unit of ["a", "é", "日", "😀"]) {
                // 256 pass the name check (and then fail on the file name's length, below).
                expect(await put(unit.repeat(256))).toEqual(exit(75));
                expect(await put(unit.repeat(257))).toEqual(closed);
            }
            await logged(sandbox, `Fatal: Sieve script name not valid: ${"a".repeat(257)}`);
        });

        it("fit in bytes only if the temporary file <name>_<secs>.M<usecs>P<pid>.<host>.sieve fits in 255 bytes", async () => {
            // The largest ASCII name sievePut takes varies with the lengths of the microseconds and the
            // pid of the doveadm process that runs it: 255 - 34 - (host length - 2) with 6-digit
            // microseconds and a 5-digit pid (221 bytes on a host named "vm").
            const fits = async (bytes: number) => {
                const answer = await put("n".repeat(bytes));
                if ("ok" in answer) return true;
                expect(answer).toEqual(exit(75));
                return false;
            };
            const fixed = 1 + 10 + 2 + 1 + 1 + host.length + ".sieve".length; // "_" secs ".M" "P" "." host
            const lowest = 255 - fixed - 6 - pidDigits; // 6-digit usecs, longest pid
            const highest = 255 - fixed - 2; // 1-digit usecs and pid
            let low = lowest - 1;
            let high = highest + 1;
            expect(await fits(low)).toBe(true);
            expect(await fits(high)).toBe(false);
            while (high - low > 1) {
                const middle = Math.floor((low + high) / 2);
                if (await fits(middle)) low = middle;
                else high = middle;
            }
            expect(low).toBeGreaterThanOrEqual(lowest - 1);
            expect(low).toBeLessThanOrEqual(highest);
            await logged(
                sandbox,
                /sieve: file storage: save: stat\(\S+\/sieve\/tmp\/n+_\d+\.M\d+P\d+\.\S+\.sieve\) failed: File name too long/,
            );
            // Bytes, not characters: 3-byte 日 fit a third as many.
            const count = Math.floor((lowest - 1) / 3);
            expect(await put("日".repeat(count))).toEqual(ok());
            expect(await put("日".repeat(Math.ceil((highest + 1) / 3)))).toEqual(exit(75));
            expect(await put("日".repeat(200))).toEqual(exit(75));
        });

        it("can reach 249 bytes by sieveRename (no temporary file), a name sievePut then cannot replace", async () => {
            expect(await put("short")).toEqual(ok());
            const long = "r".repeat(249);
            expect(
                await call(sandbox, "sieveRename", { user: DAVE, oldname: "short", newname: long }),
            ).toEqual(ok());
            expect(await call(sandbox, "sieveGet", { user: DAVE, scriptname: long })).toEqual(
                ok([{ "sieve script": "keep;\n" }]),
            );
            expect(await put(long)).toEqual(exit(75));
            expect(await call(sandbox, "sieveActivate", { user: DAVE, scriptname: long })).toEqual(ok());
            expect(await call(sandbox, "sieveDeactivate", { user: DAVE })).toEqual(ok());
            // 250 bytes: <name>.sieve is over 255.
            expect(
                await call(sandbox, "sieveRename", { user: DAVE, oldname: long, newname: "r".repeat(250) }),
            ).toEqual(exit(75));
            expect(await call(sandbox, "sieveDelete", { user: DAVE, scriptname: [long] })).toEqual(ok());
        });

        it("refuse C0 and C1 controls, DEL, U+00FF, U+2028, U+2029 and '/' (no answer); NUL is a JSON error", async () => {
            for (const refused of [
                "\u0001",
                "\t",
                "\n",
                "\u001f",
                "\u007f",
                "\u0080",
                "\u009f",
                "\u00ff",
                "\u2028",
                "\u2029",
                "/",
            ])
                expect([JSON.stringify(refused), await put(`a${refused}b`)]).toEqual([
                    JSON.stringify(refused),
                    closed,
                ]);
            await logged(sandbox, "Fatal: Sieve script name not valid: a/b");
            expect(await put("ÿ")).toEqual(closed);
            expect(await put("")).toEqual(closed);
            expect(await put("a\u0000b")).toEqual(
                version === "2.4"
                    ? { http: 400, text: "JSON parse error: String contains escaped NUL character\r\n" }
                    : { http: 400, text: "JSON parse error: \\u0000 not supported in strings\r\n" },
            );
            // A lone surrogate is not JSON text either.
            expect(
                outcome(
                    await post(
                        sandbox,
                        `[["sievePut",{"user":"${DAVE}","scriptname":"a\\ud800b","file":"keep;"},"t1"]]`,
                    ),
                ),
            ).toEqual(
                version === "2.4"
                    ? {
                          http: 400,
                          text: "JSON parse error: String contains lonely Unicode high surrogate '\\uD800'\r\n",
                      }
                    : { http: 400, text: "JSON parse error: Invalid unicode escape seen\r\n" },
            );
        });

        it("take everything else: spaces, dots, backslash, quotes, wildcards, U+00A0, U+FEFF, emoji", async () => {
            const names = [
                "a b",
                " lead",
                "trail ",
                ".",
                "..",
                ".hidden",
                "x.sieve",
                "x.",
                "a\\b",
                'a"b',
                "a*b%c",
                "a:b~c@d",
                "a\u00a0b",
                "a\ufeffb",
                "a😀b",
                "tmp",
            ];
            for (const name of names) expect([name, await put(name)]).toEqual([name, ok()]);
            const list = await call(sandbox, "sieveList", { user: DAVE });
            const listed = "ok" in list ? (list.ok as Array<{ script: string }>).map((s) => s.script) : [];
            expect(listed).toEqual(expect.arrayContaining(names));
        });
    });

    describe("NUL and other control characters", () => {
        const setValue = (value: string) =>
            call(sandbox, "mailboxMetadataSet", { user: BOB, mailbox: "INBOX", key: "/private/ctl", value });
        const getValue = () =>
            call(sandbox, "mailboxMetadataGet", { user: BOB, mailbox: "INBOX", key: "/private/ctl" });

        it("refuses NUL in a METADATA value with HTTP 400; stores every other control character as sent", async () => {
            expect(await setValue("a\u0000b")).toEqual(
                version === "2.4"
                    ? { http: 400, text: "JSON parse error: String contains escaped NUL character\r\n" }
                    : { http: 400, text: "JSON parse error: \\u0000 not supported in strings\r\n" },
            );
            for (const value of [
                "a\u0001b",
                "a\rb",
                "a\r\nb",
                "a\tb",
                "a\u001fb",
                "a\u007fb",
                "a\u0080b",
                "a\u2028b",
                "a\ufeffb",
            ]) {
                expect(await setValue(value)).toEqual(ok());
                expect(await getValue()).toEqual(ok([{ value }]));
            }
        });

        it("NUL in Sieve text: 2.3 passes it to the compiler (65), 2.4 refuses the request (HTTP 400)", async () => {
            const put = (file: string) => call(sandbox, "sievePut", { user: BOB, scriptname: "ctl", file });
            expect(await put("# a\u0000b\nkeep;\n")).toEqual(
                version === "2.4" ? streamRefused("String contains escaped NUL character") : exit(65),
            );
            if (version === "2.3")
                await logged(sandbox, "sieve: ctl: line 1: encountered NUL character in hash comment");
            expect(await put('require "fileinto";\nfileinto "a\u0000b";\n')).toEqual(
                version === "2.4" ? streamRefused("String contains escaped NUL character") : exit(65),
            );
            // Other controls: fine in a comment and a string, except a CR alone in a quoted string.
            for (const file of [
                "# a\u0001b\u007f\rc\nkeep;\n",
                'require "fileinto";\nfileinto "a\u0001b";\n',
            ]) {
                expect(await put(file)).toEqual(ok());
                expect(await call(sandbox, "sieveGet", { user: BOB, scriptname: "ctl" })).toEqual(
                    ok([{ "sieve script": file }]),
                );
            }
            expect(await put('require "fileinto";\nfileinto "a\rb";\n')).toEqual(exit(65));
            await logged(
                sandbox,
                "sieve: ctl: line 2: found stray carriage-return (CR) character in quoted string started at line 2",
            );
        });

        it("raw (unescaped) control bytes and invalid UTF-8: 2.4 refuses them all, 2.3 only NUL", async () => {
            // JSON.stringify never writes these; a hand-made body can.
            const raw = (value: Buffer) =>
                post(
                    sandbox,
                    Buffer.concat([
                        Buffer.from(
                            `[["mailboxMetadataSet",{"user":"${BOB}","mailbox":"INBOX","key":"/private/raw","value":"a`,
                        ),
                        value,
                        Buffer.from(`b"},"t1"]]`),
                    ]),
                );
            expect(outcome(await raw(Buffer.from([0])))).toEqual({
                http: 400,
                text:
                    version === "2.4"
                        ? "JSON parse error: String contains invalid character <NUL>\r\n"
                        : "JSON parse error: NULs not supported in strings\r\n",
            });
            expect(outcome(await raw(Buffer.from([1])))).toEqual(
                version === "2.4"
                    ? { http: 400, text: "JSON parse error: String contains invalid character U+0001\r\n" }
                    : ok(),
            );
            expect(outcome(await raw(Buffer.from([0xff, 0xfe])))).toEqual(
                version === "2.4"
                    ? { http: 400, text: "JSON parse error: Invalid UTF-8 character\r\n" }
                    : ok(),
            );
        });

        it("refuses NUL in a mailbox name with HTTP 400 and C0 controls with 64; takes DEL and C1 controls", async () => {
            const create = (name: string) => call(sandbox, "mailboxCreate", { user: BOB, mailbox: [name] });
            expect(await create("a\u0000b")).toEqual(
                version === "2.4"
                    ? { http: 400, text: "JSON parse error: String contains escaped NUL character\r\n" }
                    : // 2.3's text for a bad array element (sic).
                      { http: 400, text: "Command parameter array can only containstring values\r\n" },
            );
            for (const name of ["a\u0001b", "a\tb", "a\nb", "a\u001fb"])
                expect([JSON.stringify(name), await create(name)]).toEqual([JSON.stringify(name), exit(64)]);
            for (const name of ["a\u007fb", "a\u0080b", "a\u009fb", "a\u2028b"]) {
                expect([JSON.stringify(name), await create(name)]).toEqual([JSON.stringify(name), ok()]);
                expect(
                    await call(sandbox, "mailboxStatus", {
                        user: BOB,
                        mailboxMask: [name],
                        field: ["messages"],
                    }),
                ).toEqual(ok([{ mailbox: name, messages: "0" }]));
            }
        });
    });

    it("sieveGet breaks on a multibyte character across byte 8192 (or 16384, ...) of a script: 2.3 answers U+FFFD for its pieces, 2.4 panics (no answer)", async () => {
        // The script is read in 8 KiB blocks and each block is escaped on its own. What is stored is
        // intact; only reading it back fails. Below 8 KiB, and with no character across a boundary,
        // scripts come back byte for byte.
        const script = (total: number, start: number, char: string) =>
            `#${"a".repeat(start - 1)}${char}${"a".repeat(total - start - Buffer.byteLength(char) - 1)}\n`;
        const roundTrip = async (name: string, text: string) => {
            expect(await call(sandbox, "sievePut", { user: CAROL, scriptname: name, file: text })).toEqual(
                ok(),
            );
            expect(readFileSync(path.join(homeOf(sandbox, CAROL), "sieve", `${name}.sieve`), "utf8")).toBe(
                text,
            );
            const answer = await call(sandbox, "sieveGet", { user: CAROL, scriptname: name });
            if (!("ok" in answer)) return answer;
            const got = (answer.ok as Array<Record<string, string>>)[0]?.["sieve script"] ?? "";
            return got === text
                ? "same"
                : { bytes: Buffer.byteLength(got), replacements: got.split("\ufffd").length - 1 };
        };
        // Characters that end at, or start at, byte 8192; one across 4096: fine.
        expect(await roundTrip("ends", script(9000, 8190, "é"))).toBe("same");
        expect(await roundTrip("starts", script(9000, 8192, "é"))).toBe("same");
        expect(await roundTrip("at4k", script(9000, 4095, "é"))).toBe("same");
        // Across 8192 (é at bytes 8191-8192 of the file, counting from 1), or across 16384.
        const broken = [
            ["é8k", script(9000, 8191, "é"), 2],
            ["日8k", script(9000, 8190, "日"), 3],
            ["emoji8k", script(9000, 8189, "😀"), 4],
            ["é16k", script(17000, 16383, "é"), 2],
        ] as const;
        for (const [name, text, size] of broken) {
            const got = await roundTrip(name, text);
            if (version === "2.4") expect([name, got]).toEqual([name, closed]);
            // Each byte of the cut character comes back as U+FFFD (3 bytes).
            else
                expect([name, got]).toEqual([
                    name,
                    { bytes: Buffer.byteLength(text) + 2 * size, replacements: size },
                ]);
        }
        if (version === "2.4")
            await logged(
                sandbox,
                "Panic: file json-generator.c: line 1069 (json_generate_object_close): assertion failed: (generator->str_stream == NULL)",
            );
    });

    describe("mailbox name length (Maildir++, separator /)", () => {
        const create = (name: string) => call(sandbox, "mailboxCreate", { user: CAROL, mailbox: [name] });
        const remove = (name: string) => call(sandbox, "mailboxDelete", { user: CAROL, mailbox: [name] });

        it("is at most 254 bytes of modified UTF-7 in all (the folder .<name> must fit in 255): 68 beyond, 64 for a level over 255", async () => {
            const cases: Array<[string, string, object]> = [
                ["254 ASCII bytes", "a".repeat(254), ok()],
                // The directory name is too long; Dovecot reports the ENAMETOOLONG as "Not found".
                ["255 ASCII bytes", "a".repeat(255), exit(68)],
                // Dovecot's own check: one level over 255 bytes.
                ["256 ASCII bytes", "a".repeat(256), exit(64)],
                ["4096 ASCII bytes", "a".repeat(4096), exit(64)],
                // The separator counts (it becomes "." in the folder name).
                ["x/ and 252 bytes", `x/${"b".repeat(252)}`, ok()],
                ["x/ and 253 bytes", `x/${"b".repeat(253)}`, exit(68)],
                ["x/ and 256 bytes", `x/${"b".repeat(256)}`, exit(64)],
                [
                    "20 levels of 200 bytes",
                    Array.from({ length: 20 }, () => "c".repeat(200)).join("/"),
                    exit(68),
                ],
                // Modified UTF-7 is what counts: a + 94 日 is "a&ZeVl5...-", 254 bytes (283 of UTF-8).
                ["a and 94 日 (254 in mUTF-7)", `a${"日".repeat(94)}`, ok()],
                ["aa and 94 日 (255 in mUTF-7)", `aa${"日".repeat(94)}`, exit(68)],
                ["aaa and 94 日 (256 in mUTF-7)", `aaa${"日".repeat(94)}`, exit(64)],
                ["94 é (253 in mUTF-7, 188 of UTF-8)", "é".repeat(94), ok()],
                ["95 é (256 in mUTF-7)", "é".repeat(95), exit(64)],
            ];
            for (const [what, name, expected] of cases) {
                expect([what, await create(name)]).toEqual([what, expected]);
                if ("ok" in expected) expect([what, await remove(name)]).toEqual([what, ok()]);
            }
            await logged(sandbox, /Can't create mailbox a{255}: Not found/);
            await logged(sandbox, /Can't create mailbox a{256}: Mailbox name too long/);
        });
    });
});
