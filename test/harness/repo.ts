// The repository's root folder, found from this file whether it runs from source (ts-jest) or compiled
// elsewhere (the benchmark builds into .cache/build): the nearest folder up whose package.json is ours.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

function findRoot(start: string): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        const manifest = path.join(dir, "package.json");
        if (
            existsSync(manifest) &&
            (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-dovecot"
        ) {
            return dir;
        }
        if (path.dirname(dir) === dir) throw new Error(`no pulumi-dovecot package.json above ${start}`);
    }
}

/** The repository's root folder. */
export const REPO_ROOT = findRoot(__dirname);

/** This package's version (package.json), which a release, the examples and the README all name. */
export const PACKAGE_VERSION = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** The version of the Pulumi Node.js SDK installed in this repository's node_modules. */
export function pulumiSdkVersion(): string {
    const manifest = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json");
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}
