// Property-based tests (fast-check) over mailbox and user names: unicode, separators, control
// characters, very long names, `*`, `%`, `..`, leading `~`, leading and trailing spaces. Every input is
// either rejected by check() with a failure that names the property and says why, or accepted and then
// round-trips exactly through create, read, rename and delete against a real Dovecot (the one storage
// rule left to the server, no '.' with Maildir++, is refused with its own clear error). Never a crash,
// never a request that kills a server process, never another mailbox touched: canary mailboxes (one
// with messages, one of another user) are compared by GUID and message count after every run.
import fc from "fast-check";
import { DoveadmError } from "../../provider/client/errors";
import { configure, providerOf } from "../harness/providers";
import { canonicalName, isInbox } from "../../provider/names";
import { Sandbox, startDovecot } from "../harness/dovecot";

jest.setTimeout(240_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const mailbox = providerOf("mailbox");

/** Pieces that names are made of: the awkward ones often, ordinary text too. */
const piece = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 4 }) },
    {
        weight: 4,
        arbitrary: fc.constantFrom(
            "/",
            "//",
            "*",
            "%",
            "..",
            ".",
            "~",
            " ",
            "\t",
            "\n",
            "\u0000",
            "\u007f",
            "\u2028",
            "&",
            "&-",
            "INBOX",
            "inbox",
            "Entwürfe",
            "子",
            "😀",
            "\ud800",
            "'",
            '"',
            "\\",
            "Archive",
            "2026",
        ),
    },
    {
        weight: 1,
        arbitrary: fc.string({ unit: fc.constantFrom("a", "b", "é", "子"), minLength: 60, maxLength: 140 }),
    },
);
const nameArb = fc.array(piece, { minLength: 0, maxLength: 5 }).map((parts) => parts.join(""));
/** Children of INBOX in any letter case (`Inbox/Receipts`), which Dovecot stores as `INBOX/...`. */
const inboxChildArb = fc
    .tuple(fc.constantFrom("inbox", "Inbox", "INBOX", "iNbOx"), nameArb)
    .map(([inbox, rest]) => `${inbox}/${rest}`);
const anyNameArb = fc.oneof({ weight: 3, arbitrary: nameArb }, { weight: 1, arbitrary: inboxChildArb });

describe("property: mailbox and user names", () => {
    let sandbox: Sandbox;
    let canaries: Array<{ user: string; name: string; guid: string; messages: number }>;
    let baseline: Record<string, string[]>;

    const snapshotCanaries = async () =>
        Promise.all(canaries.map(async (c) => ({ ...c, ...(await sandbox.status(c.user, c.name)) })));

    /**
     * A provider that remembers nothing of the server, as a new `pulumi up` starts with: after the test
     * has changed the server behind its back, a look the last one cached (it may serve for 3 s) would
     * still show what the test removed.
     */
    const freshProvider = async () => {
        await configure({ "dovecot:endpoint": sandbox.endpoint, "dovecot:apiKey": sandbox.apiKey });
    };
    /** Removes what a run left of ALICE's beyond the baseline, with doveadm, and starts a fresh provider. */
    const cleanUp = async () => {
        // Parents created implicitly may stay behind as non-mailboxes; a failed run may leave anything.
        for (const left of (await sandbox.listMailboxes(ALICE)).filter((n) => !baseline[ALICE]!.includes(n)))
            // "--": a name may start with "-", which doveadm would take for an option.
            await sandbox.doveadmResult(["mailbox", "delete", "-s", "-u", ALICE, "--", left]);
        await freshProvider();
    };

    beforeAll(async () => {
        sandbox = await startDovecot();
        await freshProvider();
        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "Canary/Keep"]);
        await sandbox.deliver(ALICE, "Canary/Keep", 2);
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "Canary Bob"]);
        canaries = [];
        for (const [user, name] of [
            [ALICE, "Canary/Keep"],
            [ALICE, "INBOX"],
            [BOB, "Canary Bob"],
        ] as const) {
            const status = await sandbox.status(user, name);
            canaries.push({ user, name, guid: status!.guid, messages: status!.messages });
        }
        baseline = { [ALICE]: await sandbox.listMailboxes(ALICE), [BOB]: await sandbox.listMailboxes(BOB) };
    });
    afterAll(async () => {
        await sandbox?.stop();
    });

    const serverProblems = () =>
        sandbox
            .log()
            .split("\n")
            .filter((line) => /Panic|Fatal|killed with signal|core dumped/i.test(line));

    it("check() never throws: it accepts, or fails on the exact property with a reason", async () => {
        await fc.assert(
            fc.asyncProperty(anyNameArb, nameArb, async (name, user) => {
                const result = await mailbox("check", {}, { user, name });
                if (result.failures) {
                    expect(result.failures.length).toBeGreaterThan(0);
                    for (const f of result.failures) {
                        expect(["name", "user"]).toContain(f.property);
                        expect(f.reason).toMatch(new RegExp(`^${f.property} \\S`));
                        expect(f.reason.length).toBeGreaterThan(f.property.length + 8);
                    }
                } else {
                    expect(result.inputs.user).toBe(user);
                    // The INBOX level in any case is spelled INBOX, as Dovecot stores it.
                    expect(result.inputs.name).toBe(canonicalName(name, "/"));
                }
            }),
            { numRuns: 2_000 },
        );
    });

    it("an accepted mailbox name round-trips exactly through create, read, rename and delete; nothing else is touched", async () => {
        let accepted = 0;
        await fc.assert(
            fc.asyncProperty(anyNameArb, anyNameArb, async (name, target) => {
                const checked = await mailbox("check", {}, { user: ALICE, name });
                if (checked.failures) {
                    expect(checked.failures[0].property).toBe("name");
                    return;
                }
                // INBOX itself is adopted, never created or deleted; its children in any letter case are
                // ordinary mailboxes, stored as INBOX/...
                if (isInbox(name) || name.startsWith("Canary")) return;
                accepted++;
                // Whatever this run leaves, even when it fails, is gone before the next one (a shrink
                // included), so that each run starts from the baseline.
                try {
                    await roundTrip(name, target, checked.inputs);
                } finally {
                    await cleanUp();
                }
                expect(await sandbox.listMailboxes(ALICE)).toEqual(baseline[ALICE]);
                expect(await snapshotCanaries()).toEqual(canaries);
            }),
            // Names that start with "-" every time: a CI run drew one ("-𝅘𝅥…2026"), which the harness's
            // doveadm took for an option.
            { numRuns: 60, examples: [["-Leading", "-Renamed/-Child"]] },
        );
        expect(accepted).toBeGreaterThan(5);
        expect(await sandbox.listMailboxes(BOB)).toEqual(baseline[BOB]);
        expect(await snapshotCanaries()).toEqual(canaries);
        expect(serverProblems()).toEqual([]);
    });

    /** Creates, reads, renames (when `target` may be renamed to) and deletes one accepted mailbox. */
    const roundTrip = async (name: string, target: string, inputs: Loose) => {
        const stored = canonicalName(name, "/");
        let created: Loose;
        try {
            created = await mailbox("create", inputs);
        } catch (error) {
            // The one storage rule left to the server: '.' cannot be part of a Maildir++ name.
            expect(error).toBeInstanceOf(DoveadmError);
            expect((error as DoveadmError).code).toBe("DOVEADM_INVALID_NAME");
            expect(name).toContain(".");
            expect(await sandbox.listMailboxes(ALICE)).toEqual(baseline[ALICE]);
            return;
        }
        const { id, outs } = created;
        expect(outs.name).toBe(stored);
        expect(await sandbox.status(ALICE, stored)).toMatchObject({ guid: id });
        expect(await sandbox.listMailboxes(ALICE)).toContain(stored);

        const read = await mailbox("read", id, outs);
        expect(read.id).toBe(id);
        expect(read.props.name).toBe(stored);

        let final = outs;
        const renameCheck = await mailbox("check", outs, { user: ALICE, name: target });
        const storedTarget = canonicalName(target, "/");
        const renamable =
            !renameCheck.failures &&
            storedTarget !== stored &&
            !target.startsWith("Canary") &&
            !isInbox(target) &&
            !target.includes(".") &&
            !stored.startsWith(`${storedTarget}/`);
        if (renamable) {
            const { outs: renamed } = await mailbox("update", id, outs, renameCheck.inputs);
            expect(renamed.name).toBe(storedTarget);
            expect(renamed.guid).toBe(id);
            expect(await sandbox.status(ALICE, storedTarget)).toMatchObject({ guid: id });
            expect(await sandbox.status(ALICE, stored)).toBeUndefined();
            const again = await mailbox("read", id, renamed);
            expect(again.props.name).toBe(storedTarget);
            final = renamed;
        }

        await mailbox("delete", id, final);
        expect(await sandbox.status(ALICE, final.name)).toBeUndefined();
    };

    it("a user name is rejected in check() or reported as unknown by the server; never a crash or another user's mailbox", async () => {
        await fc.assert(
            fc.asyncProperty(nameArb, async (user) => {
                const checked = await mailbox("check", {}, { user, name: "Prop/User" });
                if (checked.failures) {
                    expect(checked.failures[0].property).toBe("user");
                    return;
                }
                if (user === ALICE || user === BOB) return;
                const error = await mailbox("create", checked.inputs).then(
                    () => undefined,
                    (e: unknown) => e,
                );
                expect(error).toBeInstanceOf(DoveadmError);
                expect((error as DoveadmError).code).toBe("DOVEADM_NO_USER");
                expect((error as DoveadmError).message).toContain(JSON.stringify(user));
            }),
            { numRuns: 60 },
        );
        expect(await sandbox.listMailboxes(ALICE)).toEqual(baseline[ALICE]);
        expect(await sandbox.listMailboxes(BOB)).toEqual(baseline[BOB]);
        expect(await snapshotCanaries()).toEqual(canaries);
        expect(serverProblems()).toEqual([]);
    });
});
