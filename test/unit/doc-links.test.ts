// Every link in the repository's Markdown that points inside the repository resolves: the file exists,
// and an anchor names a heading of that file (as GitHub makes anchors from headings). Links to the web
// are not followed (tests reach loopback only). Nothing links to what is not committed (the API
// reference under docs/api/ is built by `npm run docs`): such a link is broken on GitHub and in a clone.
// A kind's notes.md is a part of its generated page (docs/resources/<Kind>.md), whose links are relative
// to that page: it is checked there, not where it is kept.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/repo";

function markdownFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
        if (["node_modules", ".cache", "dist", ".git"].includes(entry)) return [];
        const full = path.join(dir, entry);
        if (full === path.join(REPO_ROOT, "docs", "api")) return [];
        if (full.startsWith(path.join(REPO_ROOT, "provider", "kinds")) && entry === "notes.md") return [];
        if (statSync(full).isDirectory()) return markdownFiles(full);
        return entry.endsWith(".md") ? [full] : [];
    });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[`*_]/g, "")
        .replace(/[^\p{L}\p{N} -]/gu, "")
        .replace(/ /g, "-");
}

function anchorsOf(file: string): Set<string> {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? "")));
}

describe("links in the Markdown files", () => {
    const files = markdownFiles(REPO_ROOT);

    it("finds the README, CONTRIBUTING.md and the docs pages among them, and no kind's notes.md", () => {
        for (const file of [
            "README.md",
            "CONTRIBUTING.md",
            "docs/_index.md",
            "docs/installation-configuration.md",
            "docs/how-it-works.md",
            "docs/lookups.md",
            "docs/resources/Mailbox.md",
            "docs/guides/failures.md",
        ])
            expect(files).toContain(path.join(REPO_ROOT, file));
        expect(files.filter((f) => f.endsWith(`${path.sep}notes.md`))).toEqual([]);
    });

    it.each(files.map((f) => [path.relative(REPO_ROOT, f), f]))(
        "%s links only to what exists",
        (_name, file) => {
            const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
            const broken: string[] = [];
            for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = match[1] ?? "";
                if (/^[a-z]+:/i.test(target)) continue; // the web, mail: not followed
                const [filePart, anchor] = target.split("#", 2);
                const linked = filePart ? path.resolve(path.dirname(file), filePart) : file;
                if (!existsSync(linked)) {
                    broken.push(`${target} (no such file)`);
                    continue;
                }
                if (anchor && linked.endsWith(".md") && !anchorsOf(linked).has(anchor))
                    broken.push(`${target} (no such heading)`);
            }
            expect(broken).toEqual([]);
        },
    );
});
