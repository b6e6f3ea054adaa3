// The files that scripts/docs.ts writes (the docs page of every kind, the settings table of
// docs/installation-configuration.md, provider/kinds/all.ts) are what it would write now: a change of a
// kind's schema, description, notes or example, of a setting, or of the list of kinds, without
// `npm run generate`, fails here. And every link the schema gives to the docs names a page that exists.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { KINDS } from "../../provider/kinds";
import { KIND_FOLDERS } from "../../provider/kinds/list";
import { generatedFiles } from "../../scripts/docs";
import { DOCS_URL, schemaText } from "../../scripts/schema";
import { REPO_ROOT } from "../harness/repo";

describe("generated files", () => {
    let files: Map<string, string>;
    beforeAll(() => {
        files = generatedFiles(REPO_ROOT);
    }, 120_000);

    it("include a page per kind, the settings page and the kinds' exports", () => {
        expect([...files.keys()].sort()).toEqual(
            [
                ...KINDS.map((kind) => path.join("docs", "resources", `${kind.name}.md`)),
                path.join("docs", "installation-configuration.md"),
                path.join("provider", "kinds", "all.ts"),
            ].sort(),
        );
    });

    it("are as committed (else: npm run generate)", () => {
        const stale = [...files]
            .filter(([relative, text]) => {
                const file = path.join(REPO_ROOT, relative);
                return !existsSync(file) || readFileSync(file, "utf8") !== text;
            })
            .map(([relative]) => relative);
        expect(stale).toEqual([]);
    });

    it("export every kind of kinds/list.ts from the package, in its order", () => {
        const exports = [
            ...(files.get(path.join("provider", "kinds", "all.ts")) ?? "").matchAll(/from "\.\/([^"]+)"/g),
        ];
        expect(exports.map((m) => m[1])).toEqual([...KIND_FOLDERS]);
    });

    it("show every setting in the settings table", () => {
        const page = files.get(path.join("docs", "installation-configuration.md")) ?? "";
        for (const key of [
            "endpoint",
            "apiKey",
            "password",
            "caCert",
            "insecureSkipVerify",
            "timeoutMs",
            "servers",
        ])
            expect(page).toContain(`\`dovecot:${key}\``);
    });
});

describe("links from the schema to the docs", () => {
    it("name pages of docs/ that exist", () => {
        const links = [
            ...schemaText(REPO_ROOT).matchAll(new RegExp(`${DOCS_URL}/([^)\\s"#\\\\]+)`, "g")),
        ].map((m) => m[1] as string);
        expect(links.length).toBeGreaterThanOrEqual(KINDS.length);
        const missing = [...new Set(links)].filter((link) => !existsSync(path.join(REPO_ROOT, "docs", link)));
        expect(missing).toEqual([]);
    });
});
