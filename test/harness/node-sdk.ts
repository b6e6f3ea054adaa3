// The `dovecot` plugin's Node.js SDK (sdk/nodejs) as its package is published, for programs that use
// it: compiled once into a temporary folder (bin/ and package.json), then installed into projects.
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "./pulumi";

/** Compiles sdk/nodejs into a new temporary folder; the caller removes it (see removeNodeSdk). */
export async function compileNodeSdk(): Promise<string> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-nodejs-sdk-"));
    cpSync(path.join(REPO_ROOT, "sdk", "nodejs"), dir, { recursive: true });
    // Its dependencies (@pulumi/pulumi, @types/node) as this repository has them.
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const built = await runCommand(process.execPath, [tsc, "-p", "tsconfig.json"], dir, process.env, {
        timeoutMs: 300_000,
    });
    if (built.code !== 0) throw new Error(`compiling sdk/nodejs failed:\n${built.output}`);
    return dir;
}

/** Installs a compiled SDK as `@pulumi-dovecot/dovecot` under `projectDir`'s node_modules. */
export function installNodeSdk(sdk: string, projectDir: string): void {
    const installed = path.join(projectDir, "node_modules", "@pulumi-dovecot", "dovecot");
    cpSync(path.join(sdk, "bin"), installed, { recursive: true });
    cpSync(path.join(sdk, "package.json"), path.join(installed, "package.json"));
}

/** Removes a compiled SDK. */
export function removeNodeSdk(sdk: string): void {
    rmSync(sdk, { recursive: true, force: true });
}
