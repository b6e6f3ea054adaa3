// The install lines of the documents (the README, the installation page docs/installation-configuration.md)
// and the examples' READMEs, read out of the Markdown and run as written, so the documents and the tests
// cannot drift apart. A fenced code block right after a `<!-- install: <id> -->` line is one install
// block; the only change a test makes to its text is the placeholder of a clone's folder,
// `/path/to/pulumi-dovecot`, replaced by a real one. A block runs in one bash (`set -e`, as a user pastes
// it into a shell); what it leaves behind for the next commands (the environment it exported, the folder
// it moved to) is handed back. The README's first programs are blocks marked `<!-- program: <id> -->`,
// which the tests that run them read the same way.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MARK, newMark } from "./processes";
import {
    CommandResult,
    RunOptions,
    pathWithoutPlugin,
    pulumiBinDir,
    pulumiEnv,
    runCommand,
} from "./pulumi-cli";
import { REPO_ROOT } from "./repo";

/** The placeholder the documents use for the folder of a clone of this repository. */
export const CLONE_PLACEHOLDER = "/path/to/pulumi-dovecot";

/** One marked code block of a Markdown file. */
export interface InstallBlock {
    /** The id after `install:` (or `program:`) in the marker. */
    id: string;
    /** The fence's language (`sh`, `yaml`). */
    language: string;
    /** The block's text as written (its lines, with a final newline). */
    text: string;
}

/** What a marker says a block is: commands a user runs, or a program a user writes. */
export type BlockKind = "install" | "program";

/**
 * Every block of a Markdown file marked `<!-- <kind>: <id> -->`, in order; a marker without a block
 * right after it throws, and so does an id marked twice.
 */
export function markedBlocks(file: string, kind: BlockKind): InstallBlock[] {
    const lines = readFileSync(file, "utf8").split("\n");
    const blocks: InstallBlock[] = [];
    const pattern = new RegExp(`^<!-- ${kind}: ([a-z0-9-]+) -->$`);
    for (let i = 0; i < lines.length; i++) {
        const marker = pattern.exec(lines[i]!);
        if (!marker) continue;
        let at = i + 1;
        while (at < lines.length && lines[at]!.trim() === "") at++;
        const fence = /^```(\w+)$/.exec(lines[at] ?? "");
        if (!fence) throw new Error(`${file}:${i + 1}: no fenced code block after the marker ${marker[0]}`);
        const end = lines.indexOf("```", at + 1);
        if (end < 0) throw new Error(`${file}:${at + 1}: the code block is not closed`);
        blocks.push({
            id: marker[1]!,
            language: fence[1]!,
            text: `${lines.slice(at + 1, end).join("\n")}\n`,
        });
    }
    const ids = blocks.map((b) => b.id);
    const repeated = ids.filter((id, n) => ids.indexOf(id) !== n);
    if (repeated.length > 0)
        throw new Error(`${file}: ${kind} blocks marked more than once: ${repeated.join(", ")}`);
    return blocks;
}

/** Every install block of a Markdown file, in order (see markedBlocks). */
export function installBlocks(file: string): InstallBlock[] {
    return markedBlocks(file, "install");
}

/** The block of `file` marked `id`. */
export function installBlock(file: string, id: string): InstallBlock {
    const block = installBlocks(file).find((b) => b.id === id);
    if (!block) throw new Error(`${file} has no code block marked <!-- install: ${id} -->`);
    return block;
}

/**
 * The documents of this repository whose install blocks a user runs: the README (each face, each
 * language) and the installation page (the plugin from a release, language hosts). An id is marked
 * in one of them only.
 */
export const INSTALL_DOCUMENTS: readonly string[] = [
    path.join(REPO_ROOT, "README.md"),
    path.join(REPO_ROOT, "docs", "installation-configuration.md"),
];

/** An install block and the document that holds it. */
export interface DocumentedBlock extends InstallBlock {
    /** The document's path, relative to the repository. */
    document: string;
}

/** Every install block of INSTALL_DOCUMENTS, in order; an id marked in two of them throws. */
export function documentedBlocks(): DocumentedBlock[] {
    const blocks = INSTALL_DOCUMENTS.flatMap((file) =>
        installBlocks(file).map((b) => ({ ...b, document: path.relative(REPO_ROOT, file) })),
    );
    for (const block of blocks) {
        const holders = blocks.filter((b) => b.id === block.id).map((b) => b.document);
        if (holders.length > 1)
            throw new Error(
                `the install block ${block.id} is marked in more than one document: ${holders.join(", ")}`,
            );
    }
    return blocks;
}

/** The install block marked `id`, in whichever of INSTALL_DOCUMENTS holds it. */
export function documentedBlock(id: string): DocumentedBlock {
    const block = documentedBlocks().find((b) => b.id === id);
    if (!block)
        throw new Error(
            `no code block is marked <!-- install: ${id} --> in ${INSTALL_DOCUMENTS.map((f) => path.relative(REPO_ROOT, f)).join(" or ")}`,
        );
    return block;
}

/** The README's first program marked `<!-- program: <id> -->`, as written. */
export function readmeProgram(id: string): string {
    const file = path.join(REPO_ROOT, "README.md");
    const block = markedBlocks(file, "program").find((b) => b.id === id);
    if (!block) throw new Error(`${file} has no code block marked <!-- program: ${id} -->`);
    return block.text;
}

/** A block's text with the clone placeholder replaced by `clone`. */
export function forClone(text: string, clone: string): string {
    return text.split(CLONE_PLACEHOLDER).join(clone);
}

/** What running a block gave: the shell's result, and what it leaves for the commands after it. */
export interface BlockRun {
    result: CommandResult;
    /** The variables the block set or changed (PATH after an `export PATH=...`, say). */
    exported: Record<string, string>;
    /** The folder the shell was in when the block ended (after a `cd`). */
    cwd: string;
}

/**
 * Runs a shell block (its text already passed through forClone) in `cwd` with `env`, in one
 * `bash` with errexit on; rejects, with the block and its output, when a command fails.
 */
export async function runBlock(
    text: string,
    cwd: string,
    env: NodeJS.ProcessEnv,
    options: RunOptions = {},
): Promise<BlockRun> {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-block-"));
    try {
        const envFile = path.join(scratch, "env");
        const cwdFile = path.join(scratch, "cwd");
        // After the block, in the same shell: its environment and folder, for the next commands.
        const script = `set -e\n${text}\nenv -0 > ${JSON.stringify(envFile)}\npwd > ${JSON.stringify(cwdFile)}\n`;
        const result = await runCommand("bash", ["-c", script], cwd, env, { ...options, allowFailure: true });
        if (result.code !== 0 || result.timedOut)
            throw new Error(
                `the install block failed (${result.timedOut ? "timed out" : `exit ${result.code}`}) in ${cwd}:\n${text}\n--- output ---\n${result.output.slice(-6000)}`,
            );
        const after: Record<string, string> = {};
        for (const entry of readFileSync(envFile, "utf8").split("\0")) {
            const at = entry.indexOf("=");
            if (at > 0) after[entry.slice(0, at)] = entry.slice(at + 1);
        }
        const exported: Record<string, string> = {};
        // bash's own bookkeeping (PWD, SHLVL, _) is not something the block set.
        for (const [key, value] of Object.entries(after))
            if (env[key] !== value && !["PWD", "OLDPWD", "SHLVL", "_"].includes(key)) exported[key] = value;
        return { result, exported, cwd: readFileSync(cwdFile, "utf8").trim() };
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}

/**
 * Copies this checkout as a clone has it into `dest`: the files git tracks and the new ones it does
 * not ignore (what the next commit holds), nothing built or installed (no node_modules, dist, .cache).
 */
export function copyCheckout(dest: string): void {
    const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 << 20,
    });
    for (const file of listed.split("\0").filter((f) => f.length > 0)) {
        const source = path.join(REPO_ROOT, file);
        // A file deleted in the work tree but not yet in the index is not part of the checkout.
        try {
            mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
            copyFileSync(source, path.join(dest, file));
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
    }
}

/**
 * An environment as a user's shell has it: the caller's without what npm and jest set for this
 * repository's own scripts (npm_config_*, npm_package_*, ...: npm would take them as its settings).
 */
export function userEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const clean: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(env))
        if (!/^npm_/i.test(key) && key !== "INIT_CWD" && key !== "JEST_WORKER_ID") clean[key] = value;
    return clean;
}

/** Where a user's shell differs from userShellEnv's defaults. */
export interface UserShell {
    /** Folders on PATH before the rest (a virtualenv's bin, say). */
    pathFirst?: string[];
    /** More variables, set last. */
    env?: Record<string, string>;
}

/**
 * A user's shell for the commands of a test working in `work`: the caller's environment as userEnv
 * leaves it with Pulumi's settings (the backend `<work>/state`, PULUMI_HOME `<work>/pulumi-home`); on
 * PATH, this repository's Node.js (22 or later) and the Pulumi CLI, then the caller's PATH without any
 * folder holding the plugin; Go modules and pip as the projects pin them. Each call carries a new mark.
 */
export function userShellEnv(work: string, shell: UserShell = {}): NodeJS.ProcessEnv {
    const base = userEnv(
        pulumiEnv(path.join(work, "state"), { PULUMI_HOME: path.join(work, "pulumi-home") }),
    );
    base.PATH = [
        ...(shell.pathFirst ?? []),
        path.join(REPO_ROOT, "node_modules", "node", "bin"),
        pulumiBinDir(),
        ...pathWithoutPlugin(process.env.PATH),
    ].join(path.delimiter);
    return {
        ...base,
        GOFLAGS: "-mod=readonly",
        GOTOOLCHAIN: "local",
        PIP_DISABLE_PIP_VERSION_CHECK: "1",
        ...shell.env,
        [MARK]: newMark(),
    };
}
