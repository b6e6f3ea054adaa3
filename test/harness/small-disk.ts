// A small file system for one sandbox user's home (their Maildir, Sieve scripts, METADATA dictionary),
// to see what the server does when the mail disk is full: mount it, fill it until the kernel answers
// ENOSPC, free it again, unmount it. Root only (mount(8)); used by
// test/integration/full-disk-harness.test.ts.
//
// Two kinds of disk: `tmpfs` (no block device; an empty directory or an empty file costs no data block
// there, so mkdir still works when it is full) and `ext4` (a loop-mounted image file: a new directory
// needs a block, as on a real mail disk).
//
// Dovecot 2.4 runs in a private mount namespace made when the server starts (see IN_ROOT_SCRIPT in
// dovecot.ts), which copies the mounts below the sandbox folder as they are then (a recursive bind)
// and sees no later change on the host. So the disk is mounted with the server stopped and the server
// started again (`mountSmallDisk` does both, on 2.3 too, for one behaviour); each `doveadm` call of the
// sandbox makes its own namespace and sees the disk as well. Unmounting on the host leaves the server's
// copy until the server stops: `unmount` stops the server first when asked to.
//
// Mounting hides what the home held: mount on a user whose mail was never opened.
import { execFile } from "node:child_process";
import {
    closeSync,
    existsSync,
    ftruncateSync,
    mkdtempSync,
    openSync,
    readFileSync,
    rmSync,
    statfsSync,
    writeSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Sandbox } from "./dovecot";

const run = promisify(execFile);

/** The uid and gid of the sandbox's mail user (`nobody`), who must own the home. */
const MAIL_UID = 65534;

/** A small file system mounted on a sandbox user's home. */
export interface SmallDisk {
    /** The mount point: the user's home. */
    path: string;
    /** `tmpfs` or `ext4`. */
    kind: SmallDiskKind;
    /** Bytes still free for the mail user (statfs `bavail` × block size). */
    available(): number;
    /**
     * Writes a file (as root, named `filler`, which Dovecot ignores; an earlier one is removed first)
     * until the disk answers ENOSPC, in
     * ever smaller pieces down to 1 byte, so not even one more block is left; returns its size. With
     * `leaveBytes`, then gives that much back (rounded to whole blocks by the file system): a disk
     * nearly full.
     */
    fill(options?: { leaveBytes?: number }): number;
    /** Removes the filler file: the disk has room again. */
    free(): void;
    /**
     * Unmounts the disk (and, for ext4, removes its image). With `stopServer`, stops the sandbox's
     * server first (on 2.4 its namespace holds a copy of the mount until it stops; on 2.3 a process with
     * a file open there would make the mount busy). Falls back to a lazy unmount, so no mount is left
     * either way. Safe to call twice.
     */
    unmount(options?: { stopServer?: boolean }): Promise<void>;
}

/** The kinds of small disk. */
export type SmallDiskKind = "tmpfs" | "ext4";

/** Options for `mountSmallDisk`. */
export interface SmallDiskOptions {
    /** The kind of file system; default tmpfs. */
    kind?: SmallDiskKind;
    /** Its size in MiB; default 4. */
    sizeMiB?: number;
}

/** The home of a sandbox user (a local part or a full name), as the sandbox's passwd file gives it. */
export function homeOf(sandbox: Sandbox, user: string): string {
    const name = user.includes("@") ? user : `${user}@example.org`;
    return path.join(sandbox.dir, "home", name);
}

/** Whether something is mounted at `target` in this process's mount namespace. */
export function isMounted(target: string): boolean {
    // /proc/mounts escapes spaces and the like as octal; sandbox paths have none.
    return readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .some((line) => line.split(" ")[1] === target);
}

/**
 * Mounts a small disk on `user`'s home, owned by the mail user, with the sandbox's server stopped and
 * started again around it (so a 2.4 server sees it too). The user's mail must not have been opened yet.
 */
export async function mountSmallDisk(
    sandbox: Sandbox,
    user: string,
    options: SmallDiskOptions = {},
): Promise<SmallDisk> {
    const kind = options.kind ?? "tmpfs";
    const sizeMiB = options.sizeMiB ?? 4;
    const home = homeOf(sandbox, user);
    if (!existsSync(home)) throw new Error(`no home ${home}: is ${user} a user of the sandbox?`);
    if (isMounted(home)) throw new Error(`${home} is a mount point already`);
    let image: string | undefined;
    await sandbox.stopServer();
    try {
        if (kind === "tmpfs") {
            await run(
                "mount",
                [
                    "-t",
                    "tmpfs",
                    "-o",
                    `size=${sizeMiB}m,mode=0755,uid=${MAIL_UID},gid=${MAIL_UID}`,
                    "tmpfs",
                    home,
                ],
                { timeout: 30_000 },
            );
        } else {
            // The image lives outside the sandbox folder, so removing that folder never touches it.
            image = path.join(mkdtempSync(path.join(os.tmpdir(), "small-disk-")), "disk.img");
            await run("truncate", ["-s", `${sizeMiB}M`, image], { timeout: 30_000 });
            // 1 KiB blocks (a folder's four directories take four); no blocks reserved for root, so the
            // filler (written as root) and the mail user see one limit.
            await run(
                "mkfs.ext4",
                ["-q", "-F", "-b", "1024", "-m", "0", "-E", `root_owner=${MAIL_UID}:${MAIL_UID}`, image],
                {
                    timeout: 60_000,
                },
            );
            await run("mount", ["-o", "loop", image, home], { timeout: 30_000 });
        }
    } catch (error) {
        if (isMounted(home)) await run("umount", ["-l", home], { timeout: 30_000 }).catch(() => undefined);
        if (image) rmSync(path.dirname(image), { recursive: true, force: true });
        await sandbox.startServer();
        throw error;
    }
    await sandbox.startServer();

    const filler = path.join(home, "filler");
    let mounted = true;
    const disk: SmallDisk = {
        path: home,
        kind,
        available: () => {
            const stats = statfsSync(home);
            return Number(stats.bavail) * Number(stats.bsize);
        },
        fill: ({ leaveBytes = 0 } = {}) => {
            rmSync(filler, { force: true });
            const fd = openSync(filler, "w");
            let written = 0;
            try {
                // Each size is tried until ENOSPC, then the next smaller one: bounded by the disk's size
                // divided by the piece, at most sizeMiB writes of 1 MiB and a handful of each smaller one.
                for (const piece of [1 << 20, 1 << 16, 1 << 12, 1 << 8, 1]) {
                    const chunk = Buffer.alloc(piece);
                    for (let i = 0; i <= (sizeMiB << 20) / piece + 1; i++) {
                        try {
                            written += writeSync(fd, chunk);
                        } catch (error) {
                            if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
                            throw error;
                        }
                    }
                }
                if (leaveBytes > 0) {
                    written = Math.max(0, written - leaveBytes);
                    ftruncateSync(fd, written);
                }
            } finally {
                closeSync(fd);
            }
            return written;
        },
        free: () => rmSync(filler, { force: true }),
        unmount: async ({ stopServer = false } = {}) => {
            if (!mounted) return;
            if (stopServer) await sandbox.stopServer();
            if (isMounted(home)) {
                const plain = await run("umount", [home], { timeout: 30_000 }).then(
                    () => true,
                    () => false,
                );
                if (!plain) await run("umount", ["-l", home], { timeout: 30_000 });
            }
            // A loop mount's device is released with the last unmount (mount -o loop sets autoclear).
            if (image) rmSync(path.dirname(image), { recursive: true, force: true });
            mounted = false;
        },
    };
    return disk;
}
