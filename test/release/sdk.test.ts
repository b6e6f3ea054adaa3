// The committed SDKs (sdk/python, sdk/go, sdk/nodejs) are what scripts/gen-sdk.sh writes from the
// committed schema.json (test/unit/schema.test.ts holds schema.json to its generator): regenerated into
// a temporary folder, every file is the same and none is missing or extra. Needs Go (sdkgen/ is a Go
// program); without it the test fails with the script's message. Seconds when sdkgen is built; about
// 2-3 minutes for the first build on a machine (the Go build cache keeps it after).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCommand } from "../harness/pulumi";
import { MARK, newMark } from "../harness/processes";
import { REPO_ROOT } from "../harness/repo";

/** Every file under `dir`, as paths relative to it (dotfiles included), sorted. */
function files(dir: string, prefix = ""): string[] {
    let entries;
    try {
        entries = readdirSync(path.join(dir, prefix), { withFileTypes: true });
    } catch {
        return [];
    }
    return entries
        .flatMap((e) => {
            const rel = path.posix.join(prefix, e.name);
            return e.isDirectory() ? files(dir, rel) : [rel];
        })
        .sort();
}

/**
 * The files of the repository's `dir` that git tracks or would track (what an installation leaves
 * there, such as a Python build/ folder, is ignored by the SDK's own .gitignore), relative, sorted.
 */
function sourceFiles(dir: string): string[] {
    const listed = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "--", "."], {
        cwd: dir,
        encoding: "utf8",
    });
    return listed
        .split("\n")
        .filter((line) => line.length > 0)
        .sort();
}

describe("the committed SDKs", () => {
    let out: string;
    beforeAll(async () => {
        out = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-sdk-"));
        const result = await runCommand(
            "bash",
            ["scripts/gen-sdk.sh", out],
            REPO_ROOT,
            { ...process.env, [MARK]: newMark() },
            { timeoutMs: 900_000, allowFailure: true },
        );
        if (result.code !== 0)
            throw new Error(
                `scripts/gen-sdk.sh could not regenerate the SDKs (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${result.stderr.slice(-4000)}`,
            );
    }, 900_000);
    afterAll(() => {
        if (out) rmSync(out, { recursive: true, force: true });
    });

    it.each(["python", "go", "nodejs"])(
        "sdk/%s is what scripts/gen-sdk.sh writes from schema.json (else: npm run sdk)",
        (language) => {
            const fresh = path.join(out, language);
            const committed = path.join(REPO_ROOT, "sdk", language);
            const want = files(fresh);
            expect(want.length).toBeGreaterThan(0);
            expect(sourceFiles(committed)).toEqual(want);
            const differing = want.filter(
                (rel) => !readFileSync(path.join(fresh, rel)).equals(readFileSync(path.join(committed, rel))),
            );
            expect(differing).toEqual([]);
        },
    );
});
