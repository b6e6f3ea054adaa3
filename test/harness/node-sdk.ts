// The `dovecot` plugin's Node.js SDK (sdk/nodejs) as its package is published, for programs that use
// it: built once into a temporary folder by its own build script (`npm run build`: bin/ and
// bin/package.json), packed with `npm pack` (what its package.json publishes: "files", "main",
// "types"), then unpacked into projects' node_modules as npm installs a tarball.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCommand } from "./pulumi-cli";
import { REPO_ROOT } from "./repo";
import { MARK, newMark } from "./processes";

/** The npm name of the Node.js SDK. */
export const NODE_SDK_NAME = "@pulumi-dovecot/dovecot";

/** Files the SDK's package must hold: its manifest and README, and the build with its types. */
export const NODE_SDK_FILES = [
    "package.json",
    "README.md",
    "bin/index.js",
    "bin/index.d.ts",
    "bin/package.json",
];

/** What the SDK's package may hold (the build, never its TypeScript sources). */
export const NODE_SDK_PUBLISHED = /^(package\.json|README\.md|bin\/.*)$/;

/**
 * Builds and packs sdk/nodejs in a new temporary folder, which the caller removes (removeNodeSdk).
 * Its build resolves typescript, @types/node and @pulumi/pulumi from this repository's node_modules.
 */
export async function compileNodeSdk(): Promise<string> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-nodejs-sdk-"));
    const source = path.join(dir, "package");
    cpSync(path.join(REPO_ROOT, "sdk", "nodejs"), source, { recursive: true });
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(source, "node_modules"), "dir");
    const env = { ...process.env, [MARK]: newMark() };
    for (const args of [
        ["run", "build"],
        ["pack", "--pack-destination", dir],
    ]) {
        const result = await runCommand("npm", args, source, env, { timeoutMs: 300_000, allowFailure: true });
        if (result.code !== 0)
            throw new Error(`npm ${args.join(" ")} in sdk/nodejs failed:\n${result.output}`);
    }
    return dir;
}

/** The tarball that compileNodeSdk packed. */
export function nodeSdkTarball(sdk: string): string {
    const tarballs = readdirSync(sdk).filter((name) => name.endsWith(".tgz"));
    if (tarballs.length !== 1)
        throw new Error(`expected one packed SDK in ${sdk}, found ${tarballs.join(", ")}`);
    return path.join(sdk, tarballs[0]!);
}

/** Installs a packed SDK as `@pulumi-dovecot/dovecot` under `projectDir`'s node_modules. */
export function installNodeSdk(sdk: string, projectDir: string): void {
    const installed = path.join(projectDir, "node_modules", ...NODE_SDK_NAME.split("/"));
    rmSync(installed, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["-xzf", nodeSdkTarball(sdk), "-C", installed, "--strip-components=1"], {
        timeout: 60_000,
    });
}

/** Removes a compiled SDK. */
export function removeNodeSdk(sdk: string): void {
    rmSync(sdk, { recursive: true, force: true });
}
