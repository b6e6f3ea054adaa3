// jest's globalTeardown: fails the run when a process that a test started outlived the suite (a
// provider plugin orphaned by a killed CLI, a sandbox Dovecot never stopped), after killing it, so
// that nothing is left running either way.
import { rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { killAll, marked, sandboxesLeft, suiteId } from "./processes";

export default async function globalTeardown(): Promise<void> {
    const left = [...marked(`${suiteId()}:`), ...sandboxesLeft()];
    await killAll(left);
    rmSync(path.join(os.tmpdir(), `pulumi-dovecot-sandboxes-${suiteId()}`), { force: true });
    if (left.length > 0) {
        throw new Error(
            `${left.length} process(es) started by the tests outlived them (now killed):\n` +
                left.map((p) => `  ${p.pid} ${p.command.slice(0, 200)}`).join("\n"),
        );
    }
}
