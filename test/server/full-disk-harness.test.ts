// What mailboxCreate does when the user's mail disk is full, on the version DOVECOT_VERSION asks for
// (2.3.19.1 or 2.4.1), and how the folders it leaves behave once there is room again. Each user's home
// is a small file system of its own (test/harness/small-disk.ts): alice's a tmpfs, where a directory
// costs no data block (so a folder's directories can still be made on a full disk), bob's an ext4
// image, where a directory needs a block, as on a real disk. Every expectation was seen on both
// versions.
//
// What was found:
// - A full disk can leave a folder half made: its Maildir++ directories exist (so mailboxList shows
//   it) but Dovecot could not write its index and uidlist. The create answers success when it carried
//   no GUID (the files are written lazily), 75 when it carried one (the GUID must be written at once).
//   While the disk is full, mailboxStatus of such a folder (and any status of "*") fails with 75, and
//   so does deleting it.
// - Once there is room, such a folder is an ordinary empty mailbox with a GUID of Dovecot's own (never
//   the one the create carried); creating it again is refused (65) and, on 2.3 only, writes the
//   create's GUID into it; deleting it works.
// - When not even the directories fit (ext4 full), every create fails with 75 and leaves nothing.
import { readFileSync } from "node:fs";
import { Sandbox, dovecotVersion, startDovecot } from "../harness/dovecot";
import { call, exit, ok } from "../harness/doveadm";
import { SmallDisk, isMounted, mountSmallDisk } from "../harness/small-disk";

const version = dovecotVersion();
const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const GUID_A = "0123456789abcdef0123456789abcdef";
const GUID_B = "fedcba9876543210fedcba9876543210";
const GUID_C = "00112233445566778899aabbccddeeff";

const OWN_GUID = /^[0-9a-f]{32}$/;

describe(`mailboxCreate on a full mail disk (Dovecot ${version})`, () => {
    let sandbox: Sandbox;
    /** alice's home. */
    let tmpfs: SmallDisk;
    /** bob's home. */
    let ext4: SmallDisk;

    const create = (user: string, name: string, guid?: string) =>
        call(sandbox, "mailboxCreate", { user, mailbox: [name], ...(guid ? { guid } : {}) });
    const status = (user: string, mask: string) =>
        call(sandbox, "mailboxStatus", { user, mailboxMask: [mask], field: ["guid", "messages"] });
    const remove = (user: string, name: string) =>
        call(sandbox, "mailboxDelete", { user, mailbox: [name], requireEmpty: true });
    /** Every name mailboxList shows (no mask: an exact mask is echoed back even for a missing name). */
    const listed = async (user: string) => {
        const answer = await call(sandbox, "mailboxList", { user });
        return "ok" in answer
            ? (answer.ok as Array<{ mailbox: string }>).map((row) => row.mailbox).sort()
            : answer;
    };
    /** The GUID mailboxStatus gives, or the failure. */
    const guidOf = async (user: string, name: string) => {
        const answer = await status(user, name);
        return "ok" in answer ? (answer.ok as Array<{ guid: string }>)[0]?.guid : answer;
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice", "bob"] });
        tmpfs = await mountSmallDisk(sandbox, "alice", { kind: "tmpfs", sizeMiB: 4 });
        ext4 = await mountSmallDisk(sandbox, "bob", { kind: "ext4", sizeMiB: 4 });
        // Each user's mail is opened (INBOX made) while there is room, as on a server in use.
        for (const user of [ALICE, BOB])
            expect(await status(user, "INBOX")).toMatchObject({ ok: [{ mailbox: "INBOX" }] });
    }, 60_000);
    afterAll(async () => {
        await tmpfs?.unmount({ stopServer: true });
        await ext4?.unmount({ stopServer: true });
        const dir = sandbox?.dir;
        await sandbox?.stop();
        // No mount is left behind.
        if (dir) expect(readFileSync("/proc/mounts", "utf8")).not.toContain(dir);
    }, 60_000);

    it("the small disks are mounted on the homes and seen by the server", async () => {
        expect(isMounted(tmpfs.path)).toBe(true);
        expect(isMounted(ext4.path)).toBe(true);
        // The server wrote alice's Maildir onto the tmpfs: it uses blocks there.
        expect(tmpfs.available()).toBeLessThan(4 << 20);
        expect(readFileSync("/proc/mounts", "utf8")).toContain(`tmpfs ${tmpfs.path} tmpfs`);
    });

    it("tmpfs full: creates leave half-made folders (success without a GUID, 75 with one), which fail status and delete until there is room", async () => {
        expect(tmpfs.fill()).toBeGreaterThan(3 << 20);
        expect(tmpfs.available()).toBe(0);

        expect(await create(ALICE, "A")).toEqual(ok());
        expect(await create(ALICE, "G", GUID_A)).toEqual(exit(75));
        expect(await create(ALICE, "P/C")).toEqual(ok());
        expect(await create(ALICE, "H", GUID_B)).toEqual(exit(75));
        // All are there for mailboxList, the implicit parent P too.
        expect(await listed(ALICE)).toEqual(["A", "G", "H", "INBOX", "P", "P/C"]);
        // None answers a status: the status tries to write the missing index and uidlist.
        for (const name of ["A", "G", "P/C", "H"])
            expect([name, await status(ALICE, name)]).toEqual([name, exit(75)]);
        expect(await status(ALICE, "P")).toEqual(exit(68));
        expect(await status(ALICE, "*")).toEqual(exit(75));
        // INBOX, made while there was room, still answers.
        expect(await status(ALICE, "INBOX")).toMatchObject({ ok: [{ mailbox: "INBOX", messages: "0" }] });
        // Neither creating again nor deleting works yet.
        expect(await create(ALICE, "A")).toEqual(exit(65));
        expect(await remove(ALICE, "A")).toEqual(exit(75));
        expect(
            /write\(\S+\/Maildir\/\.G\/dovecot-uidlist\.tmp\) failed: (write\(\) failed: )?No space left on device/.test(
                sandbox.log(),
            ),
        ).toBe(true);

        tmpfs.free();
        expect(tmpfs.available()).toBeGreaterThan(3 << 20);
        // Now they are ordinary empty mailboxes, each with a GUID of Dovecot's own.
        const guids: Record<string, unknown> = {};
        for (const name of ["A", "G", "P/C", "H"]) {
            guids[name] = await guidOf(ALICE, name);
            expect([name, guids[name]]).toEqual([name, expect.stringMatching(OWN_GUID)]);
        }
        expect([guids.G, guids.H]).not.toContain(GUID_A);
        expect([guids.G, guids.H]).not.toContain(GUID_B);
        expect(await status(ALICE, "G")).toEqual(ok([{ mailbox: "G", messages: "0", guid: guids.G }]));

        // Creating again is refused; with a GUID, 2.3 writes it into the existing folder all the same.
        expect(await create(ALICE, "A")).toEqual(exit(65));
        expect(await create(ALICE, "G", GUID_A)).toEqual(exit(65));
        expect(await guidOf(ALICE, "G")).toBe(version === "2.3" ? GUID_A : guids.G);
        expect(await guidOf(ALICE, "A")).toBe(guids.A);

        // Deleting works; the parent goes with its last child.
        for (const name of ["A", "G", "P/C", "H"])
            expect([name, await remove(ALICE, name)]).toEqual([name, ok()]);
        expect(await listed(ALICE)).toEqual(["INBOX"]);
        // And a create with a GUID now gives the folder that GUID.
        expect(await create(ALICE, "G", GUID_C)).toEqual(ok());
        expect(await guidOf(ALICE, "G")).toBe(GUID_C);
        expect(await remove(ALICE, "G")).toEqual(ok());
    });

    it("ext4 full: every create fails with 75 and leaves nothing", async () => {
        ext4.fill();
        expect(ext4.available()).toBe(0);
        expect(await create(BOB, "X")).toEqual(exit(75));
        expect(await create(BOB, "Y", GUID_A)).toEqual(exit(75));
        expect(await create(BOB, "P/C")).toEqual(exit(75));
        expect(await listed(BOB)).toEqual(["INBOX"]);
        for (const name of ["X", "Y", "P/C"])
            expect([name, await status(BOB, name)]).toEqual([name, exit(68)]);
        expect(/mkdir_parents\(\S+\/Maildir\/\.X\) failed: No space left on device/.test(sandbox.log())).toBe(
            true,
        );

        ext4.free();
        expect(await create(BOB, "Y", GUID_A)).toEqual(ok());
        expect(await guidOf(BOB, "Y")).toBe(GUID_A);
        expect(await remove(BOB, "Y")).toEqual(ok());
    });

    it("ext4 with room for a folder's four directories only: the same half-made folder as on the tmpfs", async () => {
        // 1 KiB blocks: .Z, .Z/cur, .Z/new and .Z/tmp take one each.
        ext4.fill({ leaveBytes: 4096 });
        expect(ext4.available()).toBe(4096);
        expect(await create(BOB, "Z", GUID_B)).toEqual(exit(75));
        expect(ext4.available()).toBe(0);
        expect(await listed(BOB)).toEqual(["INBOX", "Z"]);
        expect(await status(BOB, "Z")).toEqual(exit(75));
        expect(await remove(BOB, "Z")).toEqual(exit(75));

        ext4.free();
        const guid = await guidOf(BOB, "Z");
        expect(guid).toEqual(expect.stringMatching(OWN_GUID));
        expect(guid).not.toBe(GUID_B);
        expect(await remove(BOB, "Z")).toEqual(ok());
        expect(await listed(BOB)).toEqual(["INBOX"]);
    });
});
