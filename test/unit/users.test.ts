// The user database lookups' pure parts: which userdb fields a program may see (never a password, by
// name or by the look of the value), how a record becomes typed values, and what `user` puts on the
// wire and makes of every answer, captured by a local HTTP server that answers like doveadm (the
// shapes are the ones test/server/users.test.ts records from Dovecot 2.3 and 2.4).
import * as http from "node:http";
import { DoveadmClient } from "../../provider/client/client";
import { DoveadmError } from "../../provider/client/errors";
import { isSecretField, looksLikePassword, userInfoOf } from "../../provider/client/userdb";
import { userMaskProblem } from "../../provider/names";
import { resolveSettings } from "../../provider/settings";
import { failure as rejection } from "../harness/failure";

const ALICE = "alice@example.org";

describe("which userdb fields a program may see", () => {
    it.each([
        ["password", "x"],
        ["userdb_password", "x"],
        ["PASSWORD", "x"],
        ["pass", "x"],
        ["passdb_note", "x"],
        ["client_secret", "x"],
        ["credentials", "x"],
        ["pw_hash", "x"],
        ["mail_crypt_private_key", "x"],
        ["oauth2_token", "x"],
    ])("drops the field %s by its name", (name, value) => {
        expect(isSecretField(name, value)).toBe(true);
    });

    it.each([
        "{SHA512-CRYPT}$6$salt$hash",
        "{PLAIN}hunter2",
        "{plain}hunter2",
        "{BLF-CRYPT}$2y$05$abc",
        "{CRAM-MD5}abc",
        "$6$rounds=5000$salt$hash",
        "$2b$10$abcdefghijklmnopqrstuv",
        "$y$j9T$salt$hash",
        "$argon2id$v=19$m=65536$abc",
        "$1$salt$hash",
        "pw={PLAIN}hunter2",
        "a b $6$x$y",
    ])("drops a value that looks like a stored password: %s", (value) => {
        expect(looksLikePassword(value)).toBe(true);
        expect(isSecretField("note", value)).toBe(true);
    });

    it.each([
        ["home", "/var/vmail/alice"],
        ["quota_rule", "*:storage=1G"],
        ["quota_rule2", "Trash:storage=+10%"],
        ["mail", "maildir:~/Maildir"],
        ["mail_path", "%{home}/Maildir"],
        ["department", "sales"],
        ["price", "costs $5 a month"],
        ["acl_groups", "staff,sales"],
    ])("keeps %s=%s", (name, value) => {
        expect(isSecretField(name, value)).toBe(false);
    });

    it("types the usual fields, orders the quota rules, and keeps the rest by name", () => {
        const info = userInfoOf("Alice@example.org", {
            user: ALICE,
            uid: "1000",
            gid: "1001",
            home: "/var/vmail/alice",
            mail: "maildir:~/Maildir",
            quota_rule3: "Spam:ignore",
            quota_rule: "*:storage=1G",
            quota_rule2: "Trash:storage=+10%",
            department: "sales",
            password: "hunter2",
            note: "{PLAIN}hunter2",
        });
        expect(info).toEqual({
            user: ALICE,
            uid: 1000,
            gid: 1001,
            home: "/var/vmail/alice",
            mail: "maildir:~/Maildir",
            quotaRules: ["*:storage=1G", "Trash:storage=+10%", "Spam:ignore"],
            fields: { department: "sales" },
        });
        expect(JSON.stringify(info)).not.toContain("hunter2");
    });

    it("answers the name asked for when the user database sends no user field", () => {
        expect(userInfoOf(ALICE, { home: "/h" })).toEqual({
            user: ALICE,
            home: "/h",
            quotaRules: [],
            fields: {},
        });
    });

    it("refuses a uid that is not a number, naming the field but not its value", () => {
        expect(() => userInfoOf(ALICE, { uid: "{PLAIN}x" })).not.toThrow(); // dropped first, as a password
        expect(() => userInfoOf(ALICE, { uid: "vmail" })).toThrow("uid must be a number");
    });
});

describe("user masks", () => {
    it.each([
        ["every user", "*", undefined],
        ["a domain", "*@example.org", undefined],
        ["one character", "u?@example.org", undefined],
        ["nothing", "", "must not be empty"],
        ["one user", "alice@example.org", "must contain a wildcard"],
        ["a space", "* @example.org", "must not contain spaces"],
        ["a newline", "*\n", "must not contain control characters"],
        ["300 bytes", `*${"a".repeat(300)}`, "is too long"],
    ])("%s: %j, %s", (_label, mask, problem) => {
        const found = userMaskProblem(mask);
        if (problem === undefined) expect(found).toBeUndefined();
        else expect(found).toContain(problem);
    });
});

describe("user requests", () => {
    let server: http.Server;
    let client: DoveadmClient;
    const sent: unknown[] = [];
    /** What the fake server answers for the next command: a doveadmResponse body, or an exit code. */
    let answer: { body: unknown } | { exitCode: number } | { raw: string } = { body: [] };

    beforeAll(async () => {
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
            req.on("end", () => {
                const [[command, params, tag]] = JSON.parse(body) as [[string, unknown, string]];
                sent.push([command, params]);
                if ("raw" in answer) res.end(answer.raw);
                else if ("exitCode" in answer)
                    res.end(
                        JSON.stringify([["error", { type: "exitCode", exitCode: answer.exitCode }, tag]]),
                    );
                else res.end(JSON.stringify([["doveadmResponse", answer.body, tag]]));
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as { port: number };
        client = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: `http://127.0.0.1:${port}`,
                DOVEADM_API_KEY: "k",
            }),
            { onRequest: () => undefined },
            { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        );
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
        sent.length = 0;
    });

    it("lists users with one mask, and reads the user list", async () => {
        answer = { body: { userList: ["b@example.org", "a@example.org"] } };
        expect(await client.listUsers("*@example.org")).toEqual(["b@example.org", "a@example.org"]);
        expect(sent).toEqual([["user", { userMask: ["*@example.org"] }]]);
    });

    it("refuses a mask without a wildcard before sending anything", async () => {
        const error = await rejection(client.listUsers(ALICE));
        expect(error.code).toBe("DOVEADM_INVALID_MASK");
        expect(error.message).toContain("getUser");
        expect(sent).toEqual([]);
    });

    it("says which setting makes a user database iterable when it cannot list (exit 65)", async () => {
        answer = { exitCode: 65 };
        const error = await rejection(client.listUsers("*"));
        expect(error.code).toBe("DOVEADM_USERDB_NO_ITERATION");
        for (const setting of ["iterate_query", "iterate_attrs", "iterate_filter", "passwd-file"])
            expect(error.message).toContain(setting);
    });

    it("refuses a user list answer that is not one", async () => {
        answer = { body: { "a@example.org": { home: "/h" } } };
        expect((await rejection(client.listUsers("*"))).code).toBe("DOVEADM_BAD_RESPONSE");
        answer = { body: [{ user: "a" }] };
        expect((await rejection(client.listUsers("*"))).code).toBe("DOVEADM_BAD_RESPONSE");
    });

    it("looks one user up, dropping every password-like field", async () => {
        answer = {
            body: {
                [ALICE]: {
                    uid: "65534",
                    gid: "65534",
                    home: "/h",
                    mail: "maildir:~/Maildir",
                    password: "hunter2",
                    note: "{SHA512-CRYPT}$6$s$h",
                },
            },
        };
        const info = await client.getUser(ALICE);
        expect(sent).toEqual([["user", { userMask: [ALICE] }]]);
        expect(info).toEqual({
            user: ALICE,
            uid: 65534,
            gid: 65534,
            home: "/h",
            mail: "maildir:~/Maildir",
            quotaRules: [],
            fields: {},
        });
    });

    it("answers undefined for a user the user database does not know (exit 67)", async () => {
        answer = { exitCode: 67 };
        expect(await client.getUser("nobody@example.org")).toBeUndefined();
    });

    it("never sends a user name that doveadm would read as a mask", async () => {
        const error = await rejection(client.getUser("*@example.org"));
        expect(error.code).toBe("DOVEADM_INVALID_USER");
        expect(sent).toEqual([]);
    });

    it("never quotes a malformed user answer, which may hold a password", async () => {
        answer = { raw: `[["doveadmResponse",{"${ALICE}":{"password":"hunter2"` };
        const broken = await rejection(client.getUser(ALICE));
        expect(broken.code).toBe("DOVEADM_BAD_RESPONSE");
        answer = { body: { [ALICE]: { uid: "not-a-number", password: "hunter2" } } };
        const malformed = await rejection(client.getUser(ALICE));
        expect(malformed.code).toBe("DOVEADM_BAD_RESPONSE");
        expect(malformed.message).toContain("uid must be a number");
        for (const error of [broken, malformed]) {
            expect(error.message).not.toContain("hunter2");
            expect(JSON.stringify(error)).not.toContain("hunter2");
        }
    });

    it("keeps the error's class for a program that catches it", async () => {
        answer = { exitCode: 65 };
        expect(await rejection(client.listUsers("*"))).toBeInstanceOf(DoveadmError);
    });
});
