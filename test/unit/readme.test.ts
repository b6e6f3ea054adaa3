// The README is a user's page and stays one: at most 15 KB (the guides, the resource pages and the
// contributor's text live in docs/ and CONTRIBUTING.md). Every command it tells a user to run is in a
// marked install block (which test/release/install-lines.test.ts maps to the test that runs it as
// written), but for `npm test`, which CI runs (.ci/run). Its first programs are the Mailbox example
// that the docs pages show (provider/kinds/mailbox/example/, the dynamic face's with its own import),
// and each is run, as the README writes it, by the test named here. The overview page's example is the
// FolderSet example in every language, and the installation page's configure commands are the README's.
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { markedBlocks } from "../harness/install-lines";
import { REPO_ROOT } from "../harness/repo";

const README = path.join(REPO_ROOT, "README.md");
/** The README's size limit, in bytes. */
const README_LIMIT = 15 * 1024;

/** Which test file runs each first program of the README (it reads it with readmeProgram). */
const PROGRAM_RUN_BY: Record<string, string> = {
    "typescript-dynamic": "release/plugin-typescript.test.ts",
    "typescript-package": "release/plugin-typescript.test.ts",
    python: "release/install-lines.test.ts",
    go: "release/install-lines.test.ts",
    yaml: "release/install-lines.test.ts",
};

/** A file of a kind's example folder, as the docs pages show it. */
function example(kind: string, file: string): string {
    return `${readFileSync(path.join(REPO_ROOT, "provider", "kinds", kind, "example", file), "utf8").trimEnd()}\n`;
}

/** The fenced code blocks of a Markdown text: the fence's language and the text. */
function fencedBlocks(text: string): Array<{ language: string; text: string; before: string }> {
    return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
        language: m[1] ?? "",
        text: m[2] ?? "",
        // The last non-empty line before the fence (a marker, when there is one).
        before: text.slice(0, m.index).trimEnd().split("\n").pop() ?? "",
    }));
}

describe("the README", () => {
    const text = readFileSync(README, "utf8");

    it(`is at most ${README_LIMIT} bytes`, () => {
        expect(statSync(README).size).toBeLessThanOrEqual(README_LIMIT);
    });

    it("tells a user to run only commands of marked install blocks, and npm test", () => {
        const shell = fencedBlocks(text).filter((b) =>
            ["sh", "bash", "shell", "console"].includes(b.language),
        );
        expect(shell.length).toBeGreaterThan(0);
        const unmarked = shell.filter(
            (b) => !/^<!-- install: [a-z0-9-]+ -->$/.test(b.before) && b.text !== "npm test\n",
        );
        expect(unmarked.map((b) => b.text)).toEqual([]);
    });

    it("marks every code block: an install block, a first program, or npm test", () => {
        const unmarked = fencedBlocks(text).filter(
            (b) => !/^<!-- (install|program): [a-z0-9-]+ -->$/.test(b.before) && b.text !== "npm test\n",
        );
        expect(unmarked.map((b) => b.text)).toEqual([]);
    });

    it("has a first program in each language, each the Mailbox example of the docs pages", () => {
        const programs = Object.fromEntries(markedBlocks(README, "program").map((b) => [b.id, b.text]));
        expect(Object.keys(programs).sort()).toEqual(Object.keys(PROGRAM_RUN_BY).sort());
        const typescript = example("mailbox", "index.ts");
        expect(programs["typescript-package"]).toBe(typescript);
        expect(programs["typescript-dynamic"]).toBe(
            typescript.replace('from "@pulumi-dovecot/dovecot"', 'from "pulumi-dovecot"'),
        );
        expect(programs["typescript-dynamic"]).toContain('from "pulumi-dovecot";');
        expect(programs.python).toBe(example("mailbox", "__main__.py"));
        expect(programs.go).toBe(example("mailbox", "main.go"));
        expect(programs.yaml).toBe(example("mailbox", "Pulumi.yaml"));
    });

    it.each(Object.entries(PROGRAM_RUN_BY))("its %s program is run by %s", (id, file) => {
        const source = readFileSync(path.join(REPO_ROOT, "test", file), "utf8");
        expect({ id, reads: source.includes("readmeProgram(") && source.includes(`"${id}"`) }).toEqual({
            id,
            reads: true,
        });
    });
});

describe("the installation page (docs/installation-configuration.md)", () => {
    it("shows the README's configure commands (which a test runs), as they are", () => {
        const configure = markedBlocks(README, "install").find((b) => b.id === "configure");
        expect(configure?.text).toMatch(/^pulumi config set dovecot:endpoint /);
        const page = readFileSync(path.join(REPO_ROOT, "docs", "installation-configuration.md"), "utf8");
        expect(page).toContain(`\`\`\`sh\n${configure?.text}\`\`\``);
    });
});

describe("the overview page (docs/_index.md)", () => {
    it("shows the FolderSet example in TypeScript, Python, Go and YAML, as its docs page does", () => {
        const blocks = fencedBlocks(readFileSync(path.join(REPO_ROOT, "docs", "_index.md"), "utf8"));
        const byLanguage = Object.fromEntries(blocks.map((b) => [b.language, b.text]));
        expect(byLanguage).toEqual({
            typescript: example("folder-set", "index.ts"),
            python: example("folder-set", "__main__.py"),
            go: example("folder-set", "main.go"),
            yaml: example("folder-set", "Pulumi.yaml").replace(/^name: .*\nruntime: yaml\n/, ""),
        });
    });
});
