// The SieveScript, MailboxAcl and MailboxMetadata providers and the read-only lookups against a real
// Dovecot with Pigeonhole and the acl, quota and METADATA support configured (the harness's `plugins`),
// on the version DOVECOT_VERSION asks for. The server's state is read with doveadm's command line.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { call, checkAndCreate, configure, rejection } from "../harness/providers";
import { DoveadmClient } from "../../provider/client/client";
import { resolveSettings } from "../../provider/settings";
import { getMailboxStatus, getQuota, listMailboxes, listSieveScripts } from "../../provider/lookups";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";

describe("Sieve, ACL and METADATA providers and the lookups against a real Dovecot", () => {
    let sandbox: Sandbox;
    /** A client of its own (not the providers'), for changes made "out of band". */
    const rawClient = () =>
        new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: sandbox.endpoint,
                DOVEADM_API_KEY: sandbox.apiKey,
            }),
            { onRequest: () => undefined },
        );
    const sieveText = async (user: string, name: string) =>
        (await sandbox.doveadm(["-f", "flow", "sieve", "get", "-u", user, name])).trim();

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob", "carol"], plugins: true });
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Team"]);
    }, 60_000);
    afterAll(async () => {
        await sandbox?.stop();
    }, 60_000);

    describe("SieveScript", () => {
        const sieveList = async (user = ALICE) =>
            (await sandbox.doveadm(["sieve", "list", "-u", user])).trim();

        it("refuses a script of the same name made by someone else, unless adopted", async () => {
            // Someone else's script, stored and activated outside this program.
            const raw = rawClient();
            await raw.sievePut(BOB, "theirs", "keep;\n", { activate: true });

            const error = await rejection(
                checkAndCreate("sieve", { user: BOB, name: "theirs", script: "discard;\n" }),
            );
            expect(error?.message).toContain(
                'sievePut for user "bob@example.org" (Sieve script "theirs") failed: the user already has a Sieve script of this name',
            );
            expect(error?.message).toContain("Set adopt: true");
            expect(await sieveText(BOB, "theirs")).toContain("keep;");

            const { outs } = await checkAndCreate("sieve", {
                user: BOB,
                name: "theirs",
                script: "discard;\n",
                adopt: true,
                active: false,
            });
            expect(await sieveText(BOB, "theirs")).toContain("discard;");
            // Declared inactive: the script taken over is no longer active.
            expect(await sieveList(BOB)).toMatch(/^theirs\s*$/);
            expect(outs.active).toBe(false);
        });

        it("renames in place, keeps it active, and reads drift in the text", async () => {
            const { id, outs } = await checkAndCreate("sieve", {
                user: ALICE,
                name: "one",
                script: "keep;\n",
            });
            expect(await sieveList()).toMatch(/^one\s+ACTIVE$/);
            const { inputs: news } = await call("sieve", "check", outs, { ...outs, name: "two" });
            expect(await call("sieve", "diff", id, outs, news)).toEqual({
                changes: true,
                replaces: [],
                deleteBeforeReplace: false,
            });
            const { outs: renamed } = await call("sieve", "update", id, outs, news);
            expect(await sieveList()).toMatch(/^two\s+ACTIVE$/);

            const { DoveadmClient } = await import("../../provider/client/client");
            const { resolveSettings } = await import("../../provider/settings");
            const raw = new DoveadmClient(
                resolveSettings(undefined, {
                    DOVEADM_ENDPOINT: sandbox.endpoint,
                    DOVEADM_API_KEY: sandbox.apiKey,
                }),
                { onRequest: () => undefined },
            );
            await raw.sievePut(ALICE, "two", "discard;\n", { activate: false });
            const read = await call("sieve", "read", id, renamed);
            expect(read.props.script).toBe("discard;\n");
            expect(read.props.active).toBe(true);

            await call("sieve", "delete", id, renamed);
            expect(await sieveList()).toBe("");
            // Already gone counts as deleted; reading it says so.
            await expect(call("sieve", "delete", id, renamed)).resolves.toBeUndefined();
            expect(await call("sieve", "read", id, renamed)).toEqual({});
        });
    });

    describe("MailboxAcl", () => {
        it("validates identifier and rights on the exact property", async () => {
            const { failures } = await call(
                "acl",
                "check",
                {},
                {
                    user: ALICE,
                    mailbox: "Team",
                    identifier: "bob",
                    rights: ["read", "l"],
                },
            );
            expect(failures).toEqual([
                { property: "identifier", reason: expect.stringMatching(/user=<name>/) },
                { property: "rights", reason: expect.stringMatching(/unknown right\(s\) "l"/) },
            ]);
        });

        it("refuses an entry someone else set with other rights, and names a missing mailbox", async () => {
            await sandbox.doveadm(["acl", "set", "-u", ALICE, "Team", "group=staff", "lookup"]);
            const refused = await rejection(
                checkAndCreate("acl", {
                    user: ALICE,
                    mailbox: "Team",
                    identifier: "group=staff",
                    rights: ["read"],
                }),
            );
            expect(refused?.message).toContain('the mailbox already gives group=staff the rights "lookup"');
            expect((await sandbox.doveadm(["acl", "get", "-u", ALICE, "Team"])).trim()).toMatch(
                /group=staff\s+lookup$/m,
            );

            const missing = await rejection(
                checkAndCreate("acl", {
                    user: ALICE,
                    mailbox: "Nope",
                    identifier: "anyone",
                    rights: ["lookup"],
                }),
            );
            expect(missing?.message).toContain(
                'aclGet for user "alice@example.org" on mailbox "Nope" failed: the mailbox does not exist',
            );
            expect(missing?.message).toContain("Create the mailbox first");
        });

        it("a mailbox deleted with its ACL reads as gone, and deleting the entry then succeeds", async () => {
            await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Temp"]);
            const { id, outs } = await checkAndCreate("acl", {
                user: ALICE,
                mailbox: "Temp",
                identifier: `user=${BOB}`,
                rights: ["lookup", "read"],
            });
            await sandbox.doveadm(["mailbox", "delete", "-u", ALICE, "Temp"]);
            expect(await call("acl", "read", id, outs)).toEqual({});
            await expect(call("acl", "delete", id, outs)).resolves.toBeUndefined();
        });
    });

    describe("MailboxMetadata", () => {
        const metadata = async (mailbox: string, key: string) =>
            (
                await sandbox.doveadm([
                    "mailbox",
                    "metadata",
                    "get",
                    "-u",
                    ALICE,
                    ...(mailbox ? [mailbox] : ["-s", ""]),
                    key,
                ])
            ).trim();

        it("sets, reads and unsets a user-level entry", async () => {
            const { id, outs } = await checkAndCreate("metadata", {
                user: ALICE,
                key: "/private/vendor/x/plan",
                value: "gold",
            });
            expect(outs.mailbox).toBe("");
            const read = await call("metadata", "read", id, outs);
            expect(read.props.value).toBe("gold");
            await call("metadata", "delete", id, outs);
            expect(await call("metadata", "read", id, outs)).toEqual({});
        });

        it("refuses keys the server cannot set, before sending", async () => {
            const { failures } = await call(
                "metadata",
                "check",
                {},
                { user: ALICE, key: "/shared/comment", value: "x" },
            );
            expect(failures).toEqual([
                { property: "key", reason: expect.stringMatching(/under \/private\/ at the user level/) },
            ]);
            const empty = await call(
                "metadata",
                "check",
                {},
                { user: ALICE, mailbox: "Team", key: "/shared/comment", value: "" },
            );
            expect(empty.failures).toEqual([
                { property: "value", reason: expect.stringMatching(/must not be empty/) },
            ]);
        });

        it("refuses another value set by someone else unless adopted", async () => {
            await sandbox.doveadm([
                "mailbox",
                "metadata",
                "set",
                "-u",
                ALICE,
                "Team",
                "/shared/comment",
                "theirs",
            ]);
            const refused = await rejection(
                checkAndCreate("metadata", {
                    user: ALICE,
                    mailbox: "Team",
                    key: "/shared/comment",
                    value: "ours",
                }),
            );
            expect(refused?.message).toContain(
                '(METADATA key "/shared/comment") failed: the entry already holds another value',
            );
            expect(await metadata("Team", "/shared/comment")).toContain("theirs");
            await checkAndCreate("metadata", {
                user: ALICE,
                mailbox: "Team",
                key: "/shared/comment",
                value: "ours",
                adopt: true,
            });
            expect(await metadata("Team", "/shared/comment")).toContain("ours");
        });
    });

    describe("lookups", () => {
        beforeAll(() => {
            process.env.DOVEADM_ENDPOINT = sandbox.endpoint;
            process.env.DOVEADM_API_KEY = sandbox.apiKey;
        });
        afterAll(() => {
            delete process.env.DOVEADM_ENDPOINT;
            delete process.env.DOVEADM_API_KEY;
        });

        it("read status, mailboxes, quota and scripts, as the server's own doveadm sees them", async () => {
            await sandbox.deliver(ALICE, "Team", 2);
            const status = await getMailboxStatus({ user: ALICE, mailbox: "Team" });
            expect(status?.messages).toBe(2);
            expect(status?.guid).toBe((await sandbox.status(ALICE, "Team"))?.guid);
            expect(await getMailboxStatus({ user: ALICE, mailbox: "Nope" })).toBeUndefined();

            const all = await listMailboxes({ user: ALICE });
            expect(all.map((m) => m.name).sort()).toEqual((await sandbox.listMailboxes(ALICE)).sort());

            const quota = await getQuota({ user: ALICE });
            const storage = quota.find((q) => q.type === "STORAGE");
            expect(storage?.limit).toBe(10240);
            expect(storage?.value).toBeGreaterThan(0);

            expect(await listSieveScripts({ user: "carol@example.org" })).toEqual([]);
            expect(await listSieveScripts({ user: BOB })).toEqual([{ name: "theirs", active: false }]);
        });

        it("refuse bad arguments before sending, and name what failed", async () => {
            await expect(listMailboxes({ user: "*" })).rejects.toThrow(
                /mailboxList for user "\*" failed: the user name/,
            );
            await expect(getMailboxStatus({ user: ALICE, mailbox: "a//b" })).rejects.toThrow(
                /the mailbox name/,
            );
            await expect(listMailboxes({ user: ALICE, server: "elsewhere" })).rejects.toThrow(
                /server "elsewhere" is not configured/,
            );
            await expect(getQuota({ user: "nobody@example.org" })).rejects.toThrow(
                /quotaGet for user "nobody@example.org" failed/,
            );
        });
    });
});
