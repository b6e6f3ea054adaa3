// The baseline an administrator would write instead of a Pulumi program: a shell loop that runs the
// `doveadm` command line once per folder (`doveadm mailbox create -u USER NAME`), then once per folder
// to delete them again. No HTTP: each command opens the user's mail storage directly.
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { Sandbox, dovecotCommand, dovecotVersion } from "../test/harness/dovecot";

const run = promisify(execFile);

/** Seconds the loop took to create, then to delete, `perUser` folders of each user. */
export async function shellLoop(
    sandbox: Sandbox,
    users: string[],
    perUser: number,
    prefix: string,
): Promise<{ createSeconds: number; deleteSeconds: number }> {
    const list = path.join(sandbox.dir, `${prefix}.tsv`);
    const lines = users.flatMap((user) =>
        Array.from({ length: perUser }, (_, i) => `${user}\t${prefix}/F${i}`),
    );
    writeFileSync(list, `${lines.join("\n")}\n`);
    const [file, args] = dovecotCommand(dovecotVersion(), sandbox.dir, "doveadm", ["-c", sandbox.configPath]);
    const loop = (verb: string) =>
        `while IFS=$'\\t' read -r user name; do "$@" mailbox ${verb} -u "$user" "$name" || exit 1; done < ${JSON.stringify(list)}`;
    const time = async (verb: string) => {
        const started = performance.now();
        await run("bash", ["-c", loop(verb), "bash", file, ...args], { timeout: 30 * 60_000 });
        return (performance.now() - started) / 1000;
    };
    try {
        const createSeconds = await time("create");
        const deleteSeconds = await time("delete");
        return { createSeconds, deleteSeconds };
    } finally {
        rmSync(list, { force: true });
    }
}
