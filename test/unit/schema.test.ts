// schema.json, the package schema of the `dovecot` provider plugin, is what scripts/schema.ts writes
// from the handlers' zod input shapes and the README (regenerate it with `npm run schema`), and its
// resources take exactly the inputs the handlers check, less the internal ones. The generator refuses a
// README whose property tables drifted from the shapes.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { aclInputShape } from "../../provider/handlers/acl";
import { folderSetInputShape } from "../../provider/handlers/folders";
import { mailboxInputShape } from "../../provider/handlers/mailbox";
import { metadataInputShape } from "../../provider/handlers/metadata";
import { reloadInputShape } from "../../provider/handlers/reload";
import { sieveInputShape } from "../../provider/handlers/sieve";
import { subscriptionInputShape } from "../../provider/handlers/subscription";
import { SETTING_SOURCES } from "../../provider/settings";
import {
    INTERNAL_INPUTS,
    PackageSpec,
    SchemaError,
    asDescription,
    buildSchema,
    schemaText,
} from "../../scripts/schema";
import { REPO_ROOT } from "../harness/repo";

const committedText = readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8");
const committed = JSON.parse(committedText) as PackageSpec;
const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    version: string;
    description: string;
};
const build = (text: string) => buildSchema(text, manifest.version, manifest.description);

const SHAPES: Record<string, z.ZodRawShape> = {
    Mailbox: mailboxInputShape("/"),
    FolderSet: folderSetInputShape("/"),
    Subscription: subscriptionInputShape("/"),
    Reload: reloadInputShape,
    SieveScript: sieveInputShape,
    MailboxAcl: aclInputShape("/"),
    MailboxMetadata: metadataInputShape("/"),
};

const publicKeys = (shape: z.ZodRawShape) => Object.keys(shape).filter((k) => !INTERNAL_INPUTS.includes(k));

describe("schema.json", () => {
    it("is what scripts/schema.ts writes from the handlers and the README (else: npm run schema)", () => {
        const fresh = schemaText(REPO_ROOT);
        // A readable difference first, then the exact text (key order and formatting).
        expect(committed).toEqual(JSON.parse(fresh));
        expect(committedText === fresh).toBe(true);
    });

    it("has exactly the seven resources, each named dovecot:index:<Name>", () => {
        expect(Object.keys(committed.resources).sort()).toEqual(
            Object.keys(SHAPES)
                .map((name) => `dovecot:index:${name}`)
                .sort(),
        );
    });

    describe.each(Object.entries(SHAPES))("%s", (name, shape) => {
        const spec = () => {
            const resource = committed.resources[`dovecot:index:${name}`];
            if (!resource) throw new Error(`schema.json has no dovecot:index:${name}`);
            return resource;
        };

        it("takes exactly the keys of the handler's zod input shape, less the internal ones", () => {
            expect(Object.keys(spec().inputProperties).sort()).toEqual(publicKeys(shape).sort());
        });

        it("requires exactly the inputs the shape refuses to go without", () => {
            const required = publicKeys(shape).filter(
                (k) => !(shape[k] as z.ZodType).safeParse(undefined).success,
            );
            expect([...spec().requiredInputs].sort()).toEqual(required.sort());
        });

        it("outputs every input, and no internal one", () => {
            const outputs = Object.keys(spec().properties);
            for (const key of publicKeys(shape)) expect(outputs).toContain(key);
            for (const key of INTERNAL_INPUTS) {
                expect(outputs).not.toContain(key);
                expect(Object.keys(spec().inputProperties)).not.toContain(key);
            }
        });

        it("describes every property", () => {
            for (const [key, property] of [
                ...Object.entries(spec().inputProperties),
                ...Object.entries(spec().properties),
            ])
                expect([key, typeof property.description]).toEqual([key, "string"]);
        });
    });

    it("marks the credentials secret, at the top level and in each named server, and the servers too", () => {
        for (const properties of [
            committed.config.variables,
            committed.provider.inputProperties,
            committed.types["dovecot:index:ServerSettings"]?.properties ?? {},
        ]) {
            expect(properties.apiKey?.secret).toBe(true);
            expect(properties.password?.secret).toBe(true);
            expect(properties.endpoint?.secret).toBeUndefined();
        }
        expect(committed.provider.inputProperties.servers?.secret).toBe(true);
    });

    it("configures every connection setting, and servers, with the environment variable the provider reads", () => {
        const settings = Object.keys(SETTING_SOURCES);
        expect(Object.keys(committed.provider.inputProperties).sort()).toEqual(
            [...settings, "servers"].sort(),
        );
        expect(Object.keys(committed.config.variables).sort()).toEqual([...settings, "servers"].sort());
        for (const [name, source] of Object.entries(SETTING_SOURCES)) {
            const property = committed.provider.inputProperties[name];
            expect(property?.description).toContain(`\`${source.env}\``);
            if (!property?.secret) expect(property?.defaultInfo).toEqual({ environment: [source.env] });
        }
        expect(committed.provider.inputProperties.timeoutMs?.type).toBe("integer");
        expect(committed.provider.inputProperties.maxConcurrency?.type).toBe("integer");
        expect(committed.provider.inputProperties.insecureSkipVerify?.type).toBe("boolean");
    });

    it("wraps each lookup's result in an object", () => {
        expect(Object.keys(committed.functions).sort()).toEqual(
            ["getMailboxStatus", "getQuota", "listMailboxes", "listSieveScripts"].map(
                (n) => `dovecot:index:${n}`,
            ),
        );
        expect(committed.functions["dovecot:index:listMailboxes"]?.outputs.required).toEqual(["mailboxes"]);
        expect(committed.functions["dovecot:index:getQuota"]?.outputs.required).toEqual(["quotas"]);
        expect(committed.functions["dovecot:index:listSieveScripts"]?.outputs.required).toEqual(["scripts"]);
        expect(committed.functions["dovecot:index:getMailboxStatus"]?.outputs.required).toEqual(["found"]);
    });
});

describe("scripts/schema.ts refuses a README that drifted from the shapes", () => {
    /** The README with `line` (found exactly once) replaced by `by`. */
    const edited = (line: RegExp, by: string) => {
        const matches = readme.match(new RegExp(line.source, "gm")) ?? [];
        expect(matches).toHaveLength(1);
        return readme.replace(new RegExp(line.source, "m"), by);
    };

    it("a resource input without a row", () => {
        const text = edited(
            /^\| `forceDestroy` \| boolean \| no \(`false`\) \| allow deleting it while.*\n/,
            "",
        );
        expect(() => build(text)).toThrow(SchemaError);
        expect(() => build(text)).toThrow(/"### Mailbox" has no row for `forceDestroy`/);
    });

    it("a row without an input", () => {
        const text = edited(
            /^(\| `mailbox` \| string \| yes\s+\| the mailbox name to subscribe to.*)$/,
            "$1\n| `folder` | string | no | a folder |",
        );
        expect(() => build(text)).toThrow(/"### Subscription" has rows for folder, which are not inputs/);
    });

    it("a default that is not the shape's", () => {
        const text = edited(
            /^\| `active` \| boolean \| no \(`true`\) /,
            "| `active` | boolean | no (`false`) ",
        );
        expect(() => build(text)).toThrow(
            /SieveScript.active is "no \(`false`\)".*the shape says "no \(`true`\)"/,
        );
    });

    it("a type that is not the shape's", () => {
        const text = edited(/^\| `rights`\s+\| string\[\] /, "| `rights` | string ");
        expect(() => build(text)).toThrow(
            /MailboxAcl.rights is "string" in the table; the shape says "string\[\]"/,
        );
    });

    it("a connection setting without a row, or with another variable", () => {
        const noRow = edited(/^\| `dovecot:separator` .*\n/, "");
        expect(() => build(noRow)).toThrow(/no row for dovecot:separator/);
        const otherEnv = edited(/`DOVEADM_TIMEOUT_MS`/, "`DOVEADM_TIMEOUT`");
        expect(() => build(otherEnv)).toThrow(/reads DOVEADM_TIMEOUT_MS/);
    });
});

describe("descriptions from README cells", () => {
    it("name the README's sections instead of linking to them, start with a capital and end with a full stop", () => {
        expect(asDescription("the server (see [Several servers](#several-servers)); absent: default")).toBe(
            'The server (see "Several servers" in the README); absent: default.',
        );
        expect(asDescription("`true` accepts any certificate")).toBe("`true` accepts any certificate.");
    });
});
