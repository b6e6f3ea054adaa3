// listUsers and getUser against real user databases: a passwd-file and Dovecot's SQLite driver, each
// with users added and removed while the server runs; an empty database refused unless allowed; an
// SQL userdb without iterate_query failing with the setting to add; and, whatever the userdb returns,
// no password on either face (the program's lookups and the plugin's Invoke). What the lookups read
// is checked against the server's own `doveadm user`.
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Sandbox, SandboxOptions, startDovecot } from "../harness/dovecot";
import { call, checkAndCreate, configure, rejection } from "../harness/providers";
import * as lookups from "../../provider/lookups";
import { onLog } from "../../provider/engine";
import { DovecotProvider } from "../../provider/plugin/server";

/** What the plugin's Invoke answers for `token` with `args`: its return value, or its failures. */
async function invoke(
    token: string,
    args: Record<string, unknown>,
): Promise<{ value?: Record<string, unknown>; failures: Array<{ property: string; reason: string }> }> {
    const request = new provproto.InvokeRequest();
    request.setTok(token);
    request.setArgs(Struct.fromJavaScript(args as never));
    const provider = new DovecotProvider("0.0.0-test", "{}");
    const response = await new Promise<provproto.InvokeResponse>((resolve, reject) =>
        provider.invoke({ request } as never, (error, value) => (error ? reject(error) : resolve(value!))),
    );
    return {
        value: response.getReturn()?.toJavaScript() as Record<string, unknown> | undefined,
        failures: response
            .getFailuresList()
            .map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
}

/**
 * The program's lookups (the dynamic face) reading `sandbox`: a fresh copy of the module, since a
 * program's connections are made once, from the environment here (DOVEADM_*), at their first use.
 */
function programFace(sandbox: Sandbox): typeof lookups {
    process.env.DOVEADM_ENDPOINT = sandbox.endpoint;
    process.env.DOVEADM_API_KEY = sandbox.apiKey;
    let face: typeof lookups | undefined;
    jest.isolateModules(() => {
        face = require("../../provider/lookups") as typeof lookups;
    });
    return face!;
}

/** The program's lookups reading `sandbox`, for a test that needs only a few. */
const lookupsOf = (sandbox: Sandbox) => programFace(sandbox);

afterAll(() => {
    delete process.env.DOVEADM_ENDPOINT;
    delete process.env.DOVEADM_API_KEY;
});

/** The users the server's own doveadm lists for `mask`, sorted. */
async function serverUsers(sandbox: Sandbox, mask = "*"): Promise<string[]> {
    const out = await sandbox.doveadm(["user", mask]);
    return out
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .sort();
}

/** A value only a password column or a passwd-file's password could have put into an answer. */
const PLANTED = "Pl4nted-Secret-Value";

const DATABASES: Array<[string, SandboxOptions["userdb"]]> = [
    ["passwd-file", { driver: "passwd-file" }],
    ["SQLite (iterate_query)", { driver: "sql", fields: ["password", "quota_rule", "department", "note"] }],
];

describe.each(DATABASES)("listUsers and getUser, users in a %s", (kind, userdb) => {
    let sandbox: Sandbox;
    let listUsers: typeof lookups.listUsers;
    let getUser: typeof lookups.getUser;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"], userdb });
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
        ({ listUsers, getUser } = programFace(sandbox));
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("lists the users the server lists, follows additions and removals, and takes a mask", async () => {
        const before = await listUsers();
        expect(before).toEqual(await serverUsers(sandbox));
        expect(before).toEqual(["alice@example.org", "bob@example.org"]);

        const carol = await sandbox.addUser("carol");
        expect(await listUsers()).toEqual(["alice@example.org", "bob@example.org", carol.name]);
        expect(await listUsers({ mask: "c*" })).toEqual(await serverUsers(sandbox, "c*"));
        expect(await listUsers({ mask: "c*" })).toEqual([carol.name]);

        await sandbox.removeUser(carol.name);
        expect(await listUsers()).toEqual(await serverUsers(sandbox));
        expect(await listUsers()).not.toContain(carol.name);

        // The plugin's function answers the same list.
        const invoked = await invoke("dovecot:index:listUsers", { mask: "*@example.org" });
        expect(invoked.failures).toEqual([]);
        expect(invoked.value).toEqual({ users: ["alice@example.org", "bob@example.org"] });
    });

    it("refuses a mask that matches no user unless allowEmpty, on both faces", async () => {
        await expect(listUsers({ mask: "nobody*" })).rejects.toMatchObject({
            code: "DOVEADM_USERDB_EMPTY",
            message: expect.stringMatching(
                /user \(mask "nobody\*"\) failed: .*lists no user.*allowEmpty: true/s,
            ),
        });
        expect(await listUsers({ mask: "nobody*", allowEmpty: true })).toEqual([]);
        const invoked = await invoke("dovecot:index:listUsers", { mask: "nobody*" });
        expect(invoked.value).toBeUndefined();
        expect(invoked.failures).toEqual([
            { property: "mask", reason: expect.stringMatching(/lists no user matching "nobody\*"/) },
        ]);
        expect(await invoke("dovecot:index:listUsers", { mask: "nobody*", allowEmpty: true })).toEqual({
            value: { users: [] },
            failures: [],
        });
    });

    it("returns a user's userdb fields typed, and never a password", async () => {
        const fields = {
            quota_rule: "*:storage=1G",
            department: "sales",
            // Looks like a stored password: dropped, whatever the field is called.
            note: `{PLAIN}${PLANTED}`,
            ...(kind === "passwd-file" ? { password: PLANTED } : {}),
        };
        const dave = await sandbox.addUser("dave", fields);
        const info = await getUser({ user: dave.name });
        const seen = await sandbox.doveadm(["user", dave.name]);
        // The server does send what must be dropped: the test is not vacuous.
        expect(seen).toContain(PLANTED);
        if (kind !== "passwd-file") expect(seen).toContain(dave.password);
        expect(info).toMatchObject({
            user: dave.name,
            home: expect.stringContaining(dave.name),
            uid: expect.any(Number),
            gid: expect.any(Number),
            quotaRules: ["*:storage=1G"],
        });
        expect(info?.uid).toBe(Number(/^\s*uid\s+(\d+)/m.exec(seen)?.[1]));
        expect(info?.home).toBe(/^\s*home\s+(\S+)/m.exec(seen)?.[1]);
        expect(info?.fields).toMatchObject({ department: "sales" });
        expect(Object.keys(info?.fields ?? {})).not.toContain("password");
        expect(Object.keys(info?.fields ?? {})).not.toContain("note");

        const invoked = await invoke("dovecot:index:getUser", { user: dave.name });
        expect(invoked.failures).toEqual([]);
        expect(invoked.value).toMatchObject({ found: true, user: dave.name, home: info?.home });
        for (const answer of [JSON.stringify(info), JSON.stringify(invoked.value)]) {
            expect(answer).not.toContain(PLANTED);
            expect(answer).not.toContain(dave.password);
            expect(answer).not.toContain(Buffer.from(PLANTED).toString("base64"));
        }
        await sandbox.removeUser(dave.name);
    });

    it("answers no user for one the user database does not know", async () => {
        expect(await getUser({ user: "nobody@example.org" })).toBeUndefined();
        expect((await invoke("dovecot:index:getUser", { user: "nobody@example.org" })).value).toMatchObject({
            found: false,
            user: "nobody@example.org",
        });
    });
});

describe("listUsers, an empty user database", () => {
    let sandbox: Sandbox;
    let listUsers: typeof lookups.listUsers;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: [], userdb: { driver: "sql" } });
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
        ({ listUsers } = programFace(sandbox));
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("is refused as the outage it usually is, unless allowEmpty", async () => {
        expect(await serverUsers(sandbox)).toEqual([]);
        await expect(listUsers()).rejects.toMatchObject({
            code: "DOVEADM_USERDB_EMPTY",
            message: expect.stringMatching(/lists no user matching "\*".*would delete them all/s),
        });
        expect(await listUsers({ allowEmpty: true })).toEqual([]);
    });
});

describe("listUsers, an SQL user database without iterate_query", () => {
    let sandbox: Sandbox;
    let listUsers: typeof lookups.listUsers;
    let getUser: typeof lookups.getUser;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], userdb: { driver: "sql", iterate: false } });
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
        ({ listUsers, getUser } = programFace(sandbox));
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("fails naming the settings that make a userdb iterable, even with allowEmpty", async () => {
        for (const args of [{}, { allowEmpty: true }]) {
            await expect(listUsers(args)).rejects.toMatchObject({
                code: "DOVEADM_USERDB_NO_ITERATION",
                message: expect.stringMatching(/iterate_query.*iterate_attrs.*iterate_filter.*passwd-file/s),
            });
        }
        const invoked = await invoke("dovecot:index:listUsers", {});
        expect(invoked.failures).toEqual([
            { property: "server", reason: expect.stringMatching(/iterate_query/) },
        ]);
        // A single user is still looked up.
        expect(await getUser({ user: "alice@example.org" })).toMatchObject({ user: "alice@example.org" });
    });
});

describe("deleting the resources of a user who left the user database", () => {
    let sandbox: Sandbox;

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"], plugins: true, userdb: { driver: "sql" } });
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it("leaves the stack for every kind with a warning, nothing deleted; a refresh still fails; the mail stays", async () => {
        const erin = (await sandbox.addUser("erin")).name;
        const made = [
            ["Mailbox", await checkAndCreate("mailbox", { user: erin, name: "Kept" })],
            ["FolderSet", await checkAndCreate("FolderSet", { user: erin, folders: [{ name: "Set" }] })],
            ["Subscription", await checkAndCreate("subscription", { user: erin, mailbox: "Shared/X" })],
            [
                "SieveScript",
                await checkAndCreate("sieve", { user: erin, name: "filters", script: "keep;\n" }),
            ],
            [
                "MailboxAcl",
                await checkAndCreate("acl", {
                    user: erin,
                    mailbox: "Kept",
                    identifier: "user=alice@example.org",
                    rights: ["lookup"],
                }),
            ],
            [
                "MailboxMetadata",
                await checkAndCreate("metadata", {
                    user: erin,
                    key: "/private/vendor/x/plan",
                    value: "gold",
                }),
            ],
        ] as const;
        await sandbox.deliver(erin, "Kept", 2);
        await sandbox.removeUser(erin);
        expect(await lookupsOf(sandbox).getUser({ user: erin })).toBeUndefined();

        for (const [kind, { id, outs }] of made) {
            const key = {
                Mailbox: "mailbox",
                FolderSet: "FolderSet",
                Subscription: "subscription",
                SieveScript: "sieve",
                MailboxAcl: "acl",
                MailboxMetadata: "metadata",
            }[kind];
            // A refresh does not take the user's absence for the resource's: it fails and keeps it.
            const readError = await rejection(call(key, "read", id, outs));
            expect({ kind, code: readError?.code }).toEqual({ kind, code: "DOVEADM_NO_USER" });
            const heard: string[] = [];
            const stop = onLog((severity, message) => heard.push(`${severity}: ${message}`));
            try {
                await expect(call(key, "delete", id, outs)).resolves.toBeUndefined();
            } finally {
                stop();
            }
            expect({ kind, heard: heard.length }).toEqual({ kind, heard: 1 });
            const warning = heard[0] as string;
            expect(warning.startsWith(`warning: ${kind}`)).toBe(true);
            expect(warning).toContain(`of user ${JSON.stringify(erin)}`);
            expect(warning).toContain("nothing was deleted");
            expect(warning).toContain("the resource leaves the stack");
            expect(warning).toContain("pulumi import");
        }
        // Back in the user database, everything is as it was: the mail, the folders, the script.
        await sandbox.addUser("erin");
        expect(await sandbox.status(erin, "Kept")).toMatchObject({ messages: 2 });
        expect(await sandbox.listMailboxes(erin)).toEqual(expect.arrayContaining(["Kept", "Set"]));
        expect(await sandbox.doveadm(["sieve", "list", "-u", erin])).toContain("filters");
    });
});
