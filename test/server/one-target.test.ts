// Two resources of one program that declare the same thing on the server (a folder, a subscription, a
// Sieve script, an ACL entry, a METADATA entry) are refused in check(), so in `preview`, before anything
// is sent, with an error that names both resources; so is `up`. Without the refusal both were applied,
// the server kept one (which one varied), and every drift check failed after. Through the handlers'
// life cycle in-process, the server read by doveadm. (Through the CLI: test/cli/one-target.test.ts for
// `up --skip-preview` and a second run, test/cli/one-target-processes.test.ts across provider processes.)
import { Sandbox, startDovecot } from "../harness/dovecot";
import { Declared, LifeCycle, applied } from "../harness/lifecycle";
import { ALICE, accountState } from "../harness/accounts";

jest.setTimeout(120_000);

const SCRIPT = 'require "fileinto";\nif header :contains "Subject" "x" { fileinto "INBOX"; }\n';

/** Two resources with one target, and the words the refusal must hold. */
const cases: Array<[string, Declared[], RegExp]> = [
    [
        "two SieveScripts of one user and name",
        [
            {
                kind: "sieve",
                name: "rules-1",
                args: { user: ALICE, name: "rules", script: SCRIPT, active: false },
            },
            {
                kind: "sieve",
                name: "rules-2",
                args: { user: ALICE, name: "rules", script: `${SCRIPT}\n`, active: false },
            },
        ],
        /the Sieve script "rules" of user/,
    ],
    [
        "two active SieveScripts of one user",
        [
            { kind: "sieve", name: "on-1", args: { user: ALICE, name: "one", script: SCRIPT } },
            { kind: "sieve", name: "on-2", args: { user: ALICE, name: "two", script: SCRIPT } },
        ],
        /the active Sieve script of user/,
    ],
    [
        "two MailboxAcls of one mailbox and identifier",
        [
            {
                kind: "acl",
                name: "acl-1",
                args: {
                    user: ALICE,
                    mailbox: "INBOX",
                    identifier: "user=bob@example.org",
                    rights: ["lookup"],
                },
            },
            {
                kind: "acl",
                name: "acl-2",
                args: {
                    user: ALICE,
                    mailbox: "INBOX",
                    identifier: "user=bob@example.org",
                    rights: ["lookup", "read"],
                },
            },
        ],
        /the ACL entry of "user=bob@example.org" on the folder "INBOX"/,
    ],
    [
        "two MailboxMetadata of one mailbox and key (the user in another letter case)",
        [
            {
                kind: "metadata",
                name: "meta-1",
                args: { user: ALICE, mailbox: "INBOX", key: "/private/comment", value: "one" },
            },
            {
                kind: "metadata",
                name: "meta-2",
                args: { user: "Alice@Example.org", mailbox: "INBOX", key: "/private/comment", value: "two" },
            },
        ],
        /the METADATA entry "\/private\/comment" of the folder "INBOX"/,
    ],
    [
        "two Subscriptions of one mailbox",
        [
            { kind: "subscription", name: "sub-1", args: { user: ALICE, mailbox: "Shared/Team" } },
            { kind: "subscription", name: "sub-2", args: { user: ALICE, mailbox: "Shared/Team" } },
        ],
        /the subscription of user "alice@example.org" to "Shared\/Team"/,
    ],
    [
        "two Mailboxes of one folder",
        [
            { kind: "mailbox", name: "box-1", args: { user: ALICE, name: "Twice" } },
            { kind: "mailbox", name: "box-2", args: { user: ALICE, name: "Twice", subscribed: false } },
        ],
        /the folder "Twice" of user/,
    ],
    [
        "a Mailbox and a FolderSet with one folder",
        [
            { kind: "mailbox", name: "box", args: { user: ALICE, name: "Both" } },
            {
                kind: "folders",
                name: "set",
                args: { user: ALICE, folders: [{ name: "Other" }, { name: "Both" }] },
            },
        ],
        /the folder "Both" of user/,
    ],
    [
        "a Subscription of a Mailbox's folder",
        [
            { kind: "mailbox", name: "box", args: { user: ALICE, name: "Subbed" } },
            { kind: "subscription", name: "sub", args: { user: ALICE, mailbox: "Subbed" } },
        ],
        /the subscription of user "alice@example.org" to "Subbed"[\s\S]*manages the folder's subscription itself/,
    ],
];

describe("two resources of one program with one target", () => {
    let sandbox: Sandbox;
    let stack: LifeCycle;
    /** What the server holds of alice's that any case could have changed, read with doveadm. */
    const serverState = () => accountState(sandbox, ALICE);

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"], plugins: true });
        stack = new LifeCycle(
            { "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey },
            "one-target",
        );
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    it.each(cases)(
        "%s: preview and up are refused, naming both, and nothing is sent",
        async (_title, specs, what) => {
            const before = await serverState();
            const [first, second] = specs.map((s) => s.name) as [string, string];
            for (const run of [() => stack.preview(specs), () => stack.up(specs)]) {
                const message = String((await run()).error?.message);
                expect(message).toMatch(what);
                expect(message).toContain(`"${first}"`);
                expect(message).toContain(`"${second}"`);
                expect(message).toMatch(/one resource only may manage it/);
                expect(await serverState()).toEqual(before);
            }
            expect(stack.state.size).toBe(0);
            await applied(stack.up([]));
            expect(await serverState()).toEqual(before);
        },
    );
});
