// The sandbox with `plugins: true` (Sieve, ACLs with a shared namespace, METADATA, quota) on the version
// DOVECOT_VERSION asks for, and what the doveadm HTTP API answers for the Sieve, ACL, METADATA and quota
// commands: every expectation here was seen on 2.3.19.1 and 2.4.1 (they answer alike unless a test says
// otherwise), so this file documents the behaviour a provider can rely on and fails if it changes.
// Each test works on its own users, so the tests do not depend on one another's state.
import { Sandbox, dovecotVersion, startDovecot, logged } from "../harness/dovecot";
import { commandList, exitCodeBody, reply, responseBody, send } from "../harness/doveadm";
import { imapMailboxes, imapStatus, withImap } from "../harness/imap";

const version = dovecotVersion();
const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const CAROL = "carol@example.org";
const DAVE = "dave@example.org";
const ERIN = "erin@example.org";
const FRANK = "frank@example.org";

/** A script that files messages whose Subject contains "work" into Work. */
const WORK_SCRIPT = 'require "fileinto";\nif header :contains "Subject" "work" { fileinto "Work"; }\n';
/** A script that does not compile: the header test needs two arguments. */
const BROKEN_SCRIPT = 'require "fileinto";\nif header "Subject" { fileinto "Work"; }\n';
const COMPILE_ERROR = "line 2: the header test requires 2 positional argument(s), but 1 is/are specified";

/** The expected body of a success with these result rows. */
const success = (rows: object[] = []) => ({
    closed: false,
    status: 200,
    body: responseBody(rows),
});
/** The expected body of a failure with this exit code. */
const failure = (exitCode: number) => ({
    closed: false,
    status: 200,
    body: exitCodeBody(exitCode),
});
/** What a command whose arguments fail doveadm's own checks gets: the process dies (i_fatal) mid-request. */
const closed = { closed: true, error: "other side closed" };

describe(`the sandbox with plugins: Sieve, ACL, METADATA, quota (Dovecot ${version})`, () => {
    let sandbox: Sandbox;
    const call = async (command: string, params: object) => reply(await send(sandbox, command, params));
    const login = (name: string) => {
        const user = sandbox.users.find((u) => u.name === name);
        if (!user) throw new Error(`no user ${name}`);
        return user;
    };

    beforeAll(async () => {
        sandbox = await startDovecot({
            users: ["alice", "bob", "carol", "dave", "erin", "frank"],
            plugins: true,
        });
    }, 60_000);
    afterAll(async () => {
        await sandbox?.stop();
    }, 60_000);

    it("offers ACL, QUOTA and METADATA over IMAP", async () => {
        // imap_acl and imap_quota load only on top of acl and quota: 2.4's doveconf shows a protocol
        // block's mail_plugins without the global ones, but they are merged when the process starts.
        const capabilities = await withImap(sandbox, login(BOB), async (client) => [
            ...client.capabilities.keys(),
        ]);
        expect(capabilities).toEqual(expect.arrayContaining(["ACL", "QUOTA", "METADATA"]));
    });

    it("lists the plugins' commands and their parameters in GET /doveadm/v1", async () => {
        const commands = await commandList(sandbox);
        // Every mail command also takes these (2.4 adds noUserdbLookup); never send them.
        const common = new Set([
            "allUsers",
            "socketPath",
            "user",
            "transFlags",
            "userFile",
            "noUserdbLookup",
        ]);
        const relevant = Object.fromEntries(
            commands
                .filter((c) => /^(sieve|acl|mailboxMetadata|quota)/.test(c.command))
                .map((c) => [
                    c.command,
                    c.parameters.filter((p) => !common.has(p.name)).map((p) => `${p.name}:${p.type}`),
                ]),
        );
        expect(relevant).toEqual({
            sieveList: [],
            sieveGet: ["scriptname:string"],
            sievePut: ["activate:boolean", "scriptname:string", "file:string"],
            sieveDelete: ["ignoreActive:boolean", "scriptname:array"],
            sieveActivate: ["scriptname:string"],
            sieveDeactivate: [],
            sieveRename: ["oldname:string", "newname:string"],
            aclGet: ["matchMe:boolean", "mailbox:string"],
            aclRights: ["mailbox:string"],
            aclSet: ["mailbox:string", "id:string", "right:array"],
            aclAdd: ["mailbox:string", "id:string", "right:array"],
            aclRemove: ["mailbox:string", "id:string", "right:array"],
            aclDelete: ["mailbox:string", "id:string"],
            aclRecalc: [],
            aclDebug: ["mailbox:string"],
            mailboxMetadataSet: [
                "allowEmptyMailboxName:boolean",
                "mailbox:string",
                "key:string",
                "value:string",
            ],
            mailboxMetadataUnset: ["allowEmptyMailboxName:boolean", "mailbox:string", "key:string"],
            mailboxMetadataGet: ["allowEmptyMailboxName:boolean", "mailbox:string", "key:string"],
            mailboxMetadataList: [
                "allowEmptyMailboxName:boolean",
                "prependPrefix:boolean",
                "mailbox:string",
                "keyPrefix:string",
            ],
            quotaGet: [],
            quotaRecalc: [],
        });
        const sievePut = commands.find((c) => c.command === "sievePut");
        expect(sievePut?.parameters.some((p) => p.name === "noUserdbLookup")).toBe(version === "2.4");
    });

    it("stores, lists, returns, activates, renames and deletes Sieve scripts", async () => {
        const user = ALICE;
        expect(await call("sieveList", { user })).toEqual(success());
        expect(await call("sievePut", { user, scriptname: "s1", file: WORK_SCRIPT })).toEqual(success());
        expect(await call("sieveList", { user })).toEqual(success([{ script: "s1", active: "" }]));
        // sieveGet returns the script's text, byte for byte, in a field named "sieve script".
        expect(await call("sieveGet", { user, scriptname: "s1" })).toEqual(
            success([{ "sieve script": WORK_SCRIPT }]),
        );

        expect(await call("sievePut", { user, scriptname: "s2", file: "keep;\n", activate: true })).toEqual(
            success(),
        );
        expect(await call("sieveList", { user })).toEqual(
            success([
                { script: "s1", active: "" },
                { script: "s2", active: "ACTIVE" },
            ]),
        );
        expect(await call("sieveActivate", { user, scriptname: "s1" })).toEqual(success());
        expect(await call("sieveList", { user })).toEqual(
            success([
                { script: "s1", active: "ACTIVE" },
                { script: "s2", active: "" },
            ]),
        );
        // Deactivating leaves no active script; doing it again is not an error.
        expect(await call("sieveDeactivate", { user })).toEqual(success());
        expect(await call("sieveList", { user })).toEqual(
            success([
                { script: "s1", active: "" },
                { script: "s2", active: "" },
            ]),
        );
        expect(await call("sieveDeactivate", { user })).toEqual(success());

        // Renaming the active script keeps it active; onto an existing name: 65; a missing one: 68.
        expect(await call("sieveActivate", { user, scriptname: "s1" })).toEqual(success());
        expect(await call("sieveRename", { user, oldname: "s1", newname: "s3" })).toEqual(success());
        expect(await call("sieveList", { user })).toEqual(
            success([
                { script: "s2", active: "" },
                { script: "s3", active: "ACTIVE" },
            ]),
        );
        expect(await call("sieveRename", { user, oldname: "s3", newname: "s2" })).toEqual(failure(65));
        expect(await call("sieveRename", { user, oldname: "nope", newname: "s9" })).toEqual(failure(68));

        // Deleting the active script is refused (65, reason only in the log) unless ignoreActive.
        expect(await call("sieveDelete", { user, scriptname: ["s3"] })).toEqual(failure(65));
        await logged(sandbox, "Cannot delete the active Sieve script.");
        expect(await call("sieveDelete", { user, scriptname: ["s3"], ignoreActive: true })).toEqual(
            success(),
        );
        expect(await call("sieveList", { user })).toEqual(success([{ script: "s2", active: "" }]));

        // Several names: the deletable ones go, the active one stays, and the answer is 65.
        expect(await call("sievePut", { user, scriptname: "s4", file: "keep;\n", activate: true })).toEqual(
            success(),
        );
        expect(await call("sieveDelete", { user, scriptname: ["s2", "s4"] })).toEqual(failure(65));
        expect(await call("sieveList", { user })).toEqual(success([{ script: "s4", active: "ACTIVE" }]));

        // A missing script: 68 for every command.
        expect(await call("sieveDelete", { user, scriptname: ["nope"] })).toEqual(failure(68));
        expect(await call("sieveGet", { user, scriptname: "nope" })).toEqual(failure(68));
        expect(await call("sieveActivate", { user, scriptname: "nope" })).toEqual(failure(68));

        // Putting over an existing script with activate replaces its text and activates it.
        expect(await call("sievePut", { user, scriptname: "s5", file: "keep;\n" })).toEqual(success());
        expect(
            await call("sievePut", { user, scriptname: "s5", file: "discard;\n", activate: true }),
        ).toEqual(success());
        expect(await call("sieveGet", { user, scriptname: "s5" })).toEqual(
            success([{ "sieve script": "discard;\n" }]),
        );
        expect(await call("sieveList", { user })).toEqual(
            success([
                { script: "s4", active: "" },
                { script: "s5", active: "ACTIVE" },
            ]),
        );
    });

    it("refuses a Sieve script that does not compile with 65 and the reason only in the log", async () => {
        const user = ALICE;
        expect(await call("sievePut", { user, scriptname: "bad", file: BROKEN_SCRIPT })).toEqual(failure(65));
        await logged(sandbox, `sieve: bad: ${COMPILE_ERROR}`);
        expect(await call("sieveGet", { user, scriptname: "bad" })).toEqual(failure(68));

        // Over an existing active script: refused, and the old text stays, still active.
        expect(
            await call("sievePut", { user, scriptname: "live", file: WORK_SCRIPT, activate: true }),
        ).toEqual(success());
        expect(await call("sievePut", { user, scriptname: "live", file: BROKEN_SCRIPT })).toEqual(
            failure(65),
        );
        expect(
            await call("sievePut", { user, scriptname: "live", file: BROKEN_SCRIPT, activate: true }),
        ).toEqual(failure(65));
        await logged(sandbox, `sieve: live: ${COMPILE_ERROR}`);
        expect(await call("sieveGet", { user, scriptname: "live" })).toEqual(
            success([{ "sieve script": WORK_SCRIPT }]),
        );
        const list = await call("sieveList", { user });
        expect(
            list.closed ? [] : (list.body as [[string, Array<{ script: string; active: string }>]])[0][1],
        ).toContainEqual({
            script: "live",
            active: "ACTIVE",
        });

        // An invalid script name (a slash, or empty) kills the doveadm process: no answer at all.
        expect(await call("sievePut", { user, scriptname: "bad name/x", file: "keep;\n" })).toEqual(closed);
        expect(await call("sievePut", { user, scriptname: "", file: "keep;\n" })).toEqual(closed);
        await logged(sandbox, "Fatal: Sieve script name not valid: bad name/x");
    });

    it("runs the user's active Sieve script when dovecot-lda delivers", async () => {
        // No active script: INBOX.
        await sandbox.deliverLda(
            CAROL,
            "From: x@example.org\nTo: carol@example.org\nSubject: work 0\n\nbody\n",
        );
        expect((await sandbox.status(CAROL, "INBOX"))?.messages).toBe(1);

        expect(
            await call("sievePut", { user: CAROL, scriptname: "f", file: WORK_SCRIPT, activate: true }),
        ).toEqual(success());
        // Work does not exist yet: lda_mailbox_autocreate makes it.
        expect(await sandbox.status(CAROL, "Work")).toBeUndefined();
        await sandbox.deliverLda(
            CAROL,
            "From: x@example.org\nTo: carol@example.org\nSubject: work 1\n\nbody\n",
        );
        await sandbox.deliverLda(
            CAROL,
            "From: x@example.org\nTo: carol@example.org\nSubject: other\n\nbody\n",
        );
        expect((await sandbox.status(CAROL, "Work"))?.messages).toBe(1);
        expect((await sandbox.status(CAROL, "INBOX"))?.messages).toBe(2);

        // Deactivated: INBOX again.
        expect(await call("sieveDeactivate", { user: CAROL })).toEqual(success());
        await sandbox.deliverLda(
            CAROL,
            "From: x@example.org\nTo: carol@example.org\nSubject: work 2\n\nbody\n",
        );
        expect((await sandbox.status(CAROL, "Work"))?.messages).toBe(1);
        expect((await sandbox.status(CAROL, "INBOX"))?.messages).toBe(3);

        await expect(sandbox.deliverLda("nobody", "Subject: x\n\nbody\n")).rejects.toThrow(/exited 67/);
    });

    it("sets, reads and deletes ACLs, and shows a shared folder to its grantee over IMAP", async () => {
        const mailbox = "Shared1";
        const shared = `shared/${ALICE}/${mailbox}`;
        const bobSees = async () => (await imapMailboxes(sandbox, login(BOB))).map((m) => m.path);
        const all = "lookup read write write-seen write-deleted insert post expunge create delete admin";

        expect(await call("mailboxCreate", { user: ALICE, mailbox: [mailbox] })).toEqual(success());
        await sandbox.deliver(ALICE, mailbox, 2);
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(success());
        // aclRights: the asking user's own rights, as names in this order.
        expect(await call("aclRights", { user: ALICE, mailbox })).toEqual(success([{ rights: all }]));
        expect(await bobSees()).toEqual(["INBOX"]);

        const id = `user=${BOB}`;
        expect(await call("aclSet", { user: ALICE, mailbox, id, right: ["lookup", "read"] })).toEqual(
            success(),
        );
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(
            success([{ id, global: "", rights: "lookup read" }]),
        );
        // matchMe: only the entries that apply to the user asking (alice), so none.
        expect(await call("aclGet", { user: ALICE, mailbox, matchMe: true })).toEqual(success());
        expect(await call("aclRights", { user: ALICE, mailbox })).toEqual(success([{ rights: all }]));
        expect(await call("aclRights", { user: BOB, mailbox: shared })).toEqual(
            success([{ rights: "lookup read" }]),
        );

        // Bob sees the folder under the shared namespace at once (the sharing dictionary is updated by
        // aclSet) and can open it.
        expect(await bobSees()).toEqual(["INBOX", "shared", `shared/${ALICE}`, shared]);
        expect((await imapStatus(sandbox, login(BOB), shared))?.messages).toBe(2);
        expect(await call("mailboxList", { user: BOB })).toEqual(
            success([
                { mailbox: "shared" },
                { mailbox: `shared/${ALICE}` },
                { mailbox: shared },
                { mailbox: "INBOX" },
            ]),
        );

        // Every right name, in any order: aclGet answers them sorted by name.
        expect(await call("aclSet", { user: ALICE, mailbox, id, right: all.split(" ") })).toEqual(success());
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(
            success([
                {
                    id,
                    global: "",
                    rights: "admin create delete expunge insert lookup post read write write-deleted write-seen",
                },
            ]),
        );
        // aclSet replaces; aclAdd and aclRemove change single rights.
        expect(await call("aclSet", { user: ALICE, mailbox, id, right: ["lookup", "read"] })).toEqual(
            success(),
        );
        expect(await call("aclAdd", { user: ALICE, mailbox, id, right: ["write"] })).toEqual(success());
        expect(await call("aclRemove", { user: ALICE, mailbox, id, right: ["read"] })).toEqual(success());
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(
            success([{ id, global: "", rights: "lookup write" }]),
        );

        // Other identifiers; entries come back sorted by id.
        expect(await call("aclSet", { user: ALICE, mailbox, id: "anyone", right: ["lookup"] })).toEqual(
            success(),
        );
        expect(await call("aclSet", { user: ALICE, mailbox, id: "group=staff", right: ["lookup"] })).toEqual(
            success(),
        );
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(
            success([
                { id: "anyone", global: "", rights: "lookup" },
                { id: "group=staff", global: "", rights: "lookup" },
                { id, global: "", rights: "lookup write" },
            ]),
        );
        expect(await call("aclDelete", { user: ALICE, mailbox, id: "anyone" })).toEqual(success());
        expect(await call("aclDelete", { user: ALICE, mailbox, id: "group=staff" })).toEqual(success());

        // Invalid rights (unknown names, IMAP letters) and ids kill the process: no answer at all.
        expect(await call("aclSet", { user: ALICE, mailbox, id, right: ["lookup", "fly"] })).toEqual(closed);
        expect(await call("aclSet", { user: ALICE, mailbox, id, right: ["lr"] })).toEqual(closed);
        expect(await call("aclSet", { user: ALICE, mailbox, id, right: ["l", "r"] })).toEqual(closed);
        expect(await call("aclSet", { user: ALICE, mailbox, id: "bogus", right: ["lookup"] })).toEqual(
            closed,
        );
        await logged(sandbox, "Fatal: Invalid right 'fly'");
        await logged(sandbox, "Fatal: Invalid ID: bogus");
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(
            success([{ id, global: "", rights: "lookup write" }]),
        );

        // A mailbox that does not exist: 68.
        expect(await call("aclSet", { user: ALICE, mailbox: "Nope", id, right: ["lookup"] })).toEqual(
            failure(68),
        );
        expect(await call("aclGet", { user: ALICE, mailbox: "Nope" })).toEqual(failure(68));
        expect(await call("aclDelete", { user: ALICE, mailbox: "Nope", id })).toEqual(failure(68));

        // Deleting removes the entry and the folder from bob's LIST; deleting again is not an error.
        expect(await call("aclDelete", { user: ALICE, mailbox, id })).toEqual(success());
        expect(await call("aclGet", { user: ALICE, mailbox })).toEqual(success());
        expect(await bobSees()).toEqual(["INBOX"]);
        expect(await call("aclDelete", { user: ALICE, mailbox, id })).toEqual(success());
        expect(await call("aclRecalc", { user: ALICE })).toEqual(success());
    });

    it("treats an empty right list and the owner id as documented", async () => {
        const mailbox = "Owned";
        const id = `user=${BOB}`;
        expect(await call("mailboxCreate", { user: FRANK, mailbox: [mailbox] })).toEqual(success());
        expect(await call("aclSet", { user: FRANK, mailbox, id, right: ["lookup"] })).toEqual(success());
        // An empty list: 2.3 rejects the command line (no answer at all); 2.4 removes the entry.
        if (version === "2.3") {
            expect(await call("aclSet", { user: FRANK, mailbox, id, right: [] })).toEqual(closed);
            expect(await call("aclGet", { user: FRANK, mailbox })).toEqual(
                success([{ id, global: "", rights: "lookup" }]),
            );
        } else {
            expect(await call("aclSet", { user: FRANK, mailbox, id, right: [] })).toEqual(success());
            expect(await call("aclGet", { user: FRANK, mailbox })).toEqual(success());
        }
        // `owner` entries limit the owner's own rights.
        expect(await call("aclSet", { user: FRANK, mailbox, id: "owner", right: ["lookup"] })).toEqual(
            success(),
        );
        expect(await call("aclRights", { user: FRANK, mailbox })).toEqual(success([{ rights: "lookup" }]));
        // Rights of a user on a folder not shared with them: empty, not an error.
        expect(await call("mailboxCreate", { user: FRANK, mailbox: ["Private"] })).toEqual(success());
        expect(await call("aclRights", { user: BOB, mailbox: `shared/${FRANK}/Private` })).toEqual(
            success([{ rights: "" }]),
        );
    });

    it("sets, gets, lists and unsets METADATA on a mailbox and on the user", async () => {
        const user = DAVE;
        const mailbox = "INBOX";
        // Never set: an empty value and exit 0, the same answer as for a value set to "".
        expect(await call("mailboxMetadataGet", { user, mailbox, key: "/private/comment" })).toEqual(
            success([{ value: "" }]),
        );
        expect(
            await call("mailboxMetadataSet", { user, mailbox, key: "/private/comment", value: "p1" }),
        ).toEqual(success());
        expect(
            await call("mailboxMetadataSet", { user, mailbox, key: "/shared/comment", value: "s1" }),
        ).toEqual(success());
        expect(await call("mailboxMetadataGet", { user, mailbox, key: "/private/comment" })).toEqual(
            success([{ value: "p1" }]),
        );
        expect(await call("mailboxMetadataGet", { user, mailbox, key: "/shared/comment" })).toEqual(
            success([{ value: "s1" }]),
        );
        // Values are UTF-8 text, newlines included.
        expect(
            await call("mailboxMetadataSet", {
                user,
                mailbox: "INBOX",
                key: "/private/note",
                value: "a\nb é",
            }),
        ).toEqual(success());
        expect(await call("mailboxMetadataGet", { user, mailbox, key: "/private/note" })).toEqual(
            success([{ value: "a\nb é" }]),
        );
        expect(await call("mailboxMetadataUnset", { user, mailbox, key: "/private/note" })).toEqual(
            success(),
        );

        // List: keys without their /private or /shared (unless prependPrefix), private first, and it
        // includes Dovecot's own entries (specialuse; on INBOX the server's admin and comment) even unset.
        expect(await call("mailboxMetadataList", { user, mailbox })).toEqual(
            success([
                { key: "comment" },
                { key: "specialuse" },
                { key: "comment" },
                { key: "vendor/vendor.dovecot/pvt/server/admin" },
                { key: "vendor/vendor.dovecot/pvt/server/comment" },
            ]),
        );
        expect(await call("mailboxMetadataList", { user, mailbox, prependPrefix: true })).toEqual(
            success([
                { key: "/private/comment" },
                { key: "/private/specialuse" },
                { key: "/shared/comment" },
                { key: "/shared/vendor/vendor.dovecot/pvt/server/admin" },
                { key: "/shared/vendor/vendor.dovecot/pvt/server/comment" },
            ]),
        );

        expect(await call("mailboxMetadataUnset", { user, mailbox, key: "/private/comment" })).toEqual(
            success(),
        );
        expect(await call("mailboxMetadataGet", { user, mailbox, key: "/private/comment" })).toEqual(
            success([{ value: "" }]),
        );
        // Unsetting again is not an error.
        expect(await call("mailboxMetadataUnset", { user, mailbox, key: "/private/comment" })).toEqual(
            success(),
        );

        // A key outside /private and /shared kills the process; a missing mailbox is 68.
        expect(await call("mailboxMetadataSet", { user, mailbox, key: "comment", value: "x" })).toEqual(
            closed,
        );
        await logged(sandbox, "Invalid metadata key 'comment': Must begin with /private or /shared");
        expect(
            await call("mailboxMetadataSet", { user, mailbox: "Nope", key: "/private/comment", value: "x" }),
        ).toEqual(failure(68));
        expect(await call("mailboxMetadataGet", { user, mailbox: "Nope", key: "/private/comment" })).toEqual(
            failure(68),
        );

        // The user level: mailbox "" needs allowEmptyMailboxName (else 64); /shared there is the server's
        // metadata, which a user cannot change (65).
        const userLevel = { user, mailbox: "", allowEmptyMailboxName: true };
        expect(
            await call("mailboxMetadataSet", { user, mailbox: "", key: "/private/comment", value: "u1" }),
        ).toEqual(failure(64));
        expect(await call("mailboxMetadataGet", { user, mailbox: "", key: "/private/comment" })).toEqual(
            failure(64),
        );
        expect(
            await call("mailboxMetadataSet", { ...userLevel, key: "/private/comment", value: "u1" }),
        ).toEqual(success());
        expect(
            await call("mailboxMetadataSet", { ...userLevel, key: "/shared/comment", value: "u2" }),
        ).toEqual(failure(65));
        await logged(
            sandbox,
            "The /shared/vendor/vendor.dovecot/pvt/server/comment attribute cannot be changed",
        );
        expect(await call("mailboxMetadataGet", { ...userLevel, key: "/private/comment" })).toEqual(
            success([{ value: "u1" }]),
        );
        expect(await call("mailboxMetadataGet", { ...userLevel, key: "/shared/comment" })).toEqual(
            success([{ value: "" }]),
        );
        expect(await call("mailboxMetadataList", userLevel)).toEqual(success([{ key: "comment" }]));
        expect(await call("mailboxMetadataList", { ...userLevel, prependPrefix: true })).toEqual(
            success([{ key: "/private/comment" }]),
        );
        // The user's private entries are stored as INBOX entries under the server prefix.
        const inbox = await call("mailboxMetadataList", { user, mailbox, prependPrefix: true });
        expect(inbox.closed ? [] : (inbox.body as [[string, object[]]])[0][1]).toContainEqual({
            key: "/private/vendor/vendor.dovecot/pvt/server/comment",
        });
        expect(await call("mailboxMetadataUnset", { ...userLevel, key: "/private/comment" })).toEqual(
            success(),
        );
        expect(await call("mailboxMetadataGet", { ...userLevel, key: "/private/comment" })).toEqual(
            success([{ value: "" }]),
        );
    });

    it("filters METADATA lists by keyPrefix only below /private or /shared", async () => {
        const user = DAVE;
        const mailbox = "M";
        expect(await call("mailboxCreate", { user, mailbox: [mailbox] })).toEqual(success());
        for (const [key, value] of [
            ["/private/comment", "p"],
            ["/shared/comment", "s"],
            ["/private/vendor/x/y", "v"],
        ])
            expect(await call("mailboxMetadataSet", { user, mailbox, key, value })).toEqual(success());
        const everything = success([
            { key: "vendor/x/y" },
            { key: "comment" },
            { key: "specialuse" },
            { key: "comment" },
        ]);
        expect(await call("mailboxMetadataList", { user, mailbox })).toEqual(everything);
        // "/private" or "/shared" alone filters nothing: both kinds come back.
        for (const keyPrefix of ["/private", "/private/", "/shared", "/shared/"])
            expect(await call("mailboxMetadataList", { user, mailbox, keyPrefix })).toEqual(everything);
        // Deeper, only that kind under the prefix, named relative to it.
        expect(await call("mailboxMetadataList", { user, mailbox, keyPrefix: "/private/vendor" })).toEqual(
            success([{ key: "/x/y" }]),
        );
        expect(await call("mailboxMetadataList", { user, mailbox, keyPrefix: "/private/comment" })).toEqual(
            success([{ key: "" }]),
        );
        // Anything else kills the process.
        expect(await call("mailboxMetadataList", { user, mailbox, keyPrefix: "private" })).toEqual(closed);
        expect(await call("mailboxMetadataList", { user, mailbox, keyPrefix: "" })).toEqual(closed);

        // Setting "" is not unsetting: Get answers "" either way, but the key stays in the list.
        expect(
            await call("mailboxMetadataSet", { user, mailbox, key: "/private/vendor/x/y", value: "" }),
        ).toEqual(success());
        expect(await call("mailboxMetadataGet", { user, mailbox, key: "/private/vendor/x/y" })).toEqual(
            success([{ value: "" }]),
        );
        expect(await call("mailboxMetadataList", { user, mailbox })).toEqual(everything);
        expect(await call("mailboxMetadataUnset", { user, mailbox, key: "/private/vendor/x/y" })).toEqual(
            success(),
        );
        expect(await call("mailboxMetadataList", { user, mailbox })).toEqual(
            success([{ key: "comment" }, { key: "specialuse" }, { key: "comment" }]),
        );
    });

    it("answers quotaGet with the storage (KiB) and message counts against the configured limit", async () => {
        const rows = (storage: string, messages: string) =>
            success([
                { root: "User quota", type: "STORAGE", value: storage, limit: "10240", percent: "0" },
                { root: "User quota", type: "MESSAGE", value: messages, limit: "-", percent: "0" },
            ]);
        expect(await call("quotaGet", { user: ERIN })).toEqual(rows("0", "0"));
        await sandbox.deliver(ERIN, "INBOX", 3);
        expect(await call("quotaGet", { user: ERIN })).toEqual(rows("1", "3"));
        expect(await call("quotaRecalc", { user: ERIN })).toEqual(success());
        expect(await call("quotaGet", { user: ERIN })).toEqual(rows("1", "3"));
    });
});
