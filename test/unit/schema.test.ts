// schema.json, the package schema of the `dovecot` provider plugin, is what scripts/schema.ts writes
// from the kinds (regenerate it with `npm run generate`): each resource takes exactly the inputs its kind
// checks, less the internal ones, every property is described from the kind's zod schemas, every
// resource carries an example in four languages and an import section, and nothing points to the
// README. A kind whose property lacks a description fails the generator.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { KINDS } from "../../provider/kinds";
import { AnyKind, defineKind } from "../../provider/kinds/kind";
import { SETTING_SOURCES } from "../../provider/settings";
import { PackageSpec, SchemaError, buildSchema, schemaText } from "../../scripts/schema";
import { REPO_ROOT } from "../harness/repo";

const committedText = readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8");
const committed = JSON.parse(committedText) as PackageSpec;

const publicKeys = (kind: AnyKind) => Object.keys(kind.inputs("/")).filter((k) => !kind.internal.includes(k));

describe("schema.json", () => {
    it("is what scripts/schema.ts writes from the kinds (else: npm run generate)", () => {
        const fresh = schemaText(REPO_ROOT);
        // A readable difference first, then the exact text (key order and formatting).
        expect(committed).toEqual(JSON.parse(fresh));
        expect(committedText === fresh).toBe(true);
    });

    it("has exactly one resource per kind, each named dovecot:index:<Name>", () => {
        expect(Object.keys(committed.resources).sort()).toEqual(
            KINDS.map((kind) => `dovecot:index:${kind.name}`).sort(),
        );
    });

    describe.each(KINDS.map((kind) => [kind.name, kind] as const))("%s", (name, kind) => {
        const spec = () => {
            const resource = committed.resources[`dovecot:index:${name}`];
            if (!resource) throw new Error(`schema.json has no dovecot:index:${name}`);
            return resource;
        };

        it("takes exactly the keys of the kind's zod inputs, less the internal ones", () => {
            expect(Object.keys(spec().inputProperties).sort()).toEqual(publicKeys(kind).sort());
        });

        it("requires exactly the inputs the shape refuses to go without", () => {
            const shape = kind.inputs("/");
            const required = publicKeys(kind).filter(
                (k) => !(shape[k] as z.ZodType).safeParse(undefined).success,
            );
            expect([...spec().requiredInputs].sort()).toEqual(required.sort());
        });

        it("outputs every input and every output of the kind, and no internal one", () => {
            const outputs = Object.keys(spec().properties);
            for (const key of publicKeys(kind)) expect(outputs).toContain(key);
            for (const key of Object.keys(kind.outputs("/")))
                if (!(kind.hiddenOutputs ?? []).includes(key)) expect(outputs).toContain(key);
            for (const key of [...kind.internal, ...(kind.hiddenOutputs ?? [])]) {
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

        it("carries an example in TypeScript, Python, Go and YAML, an import section, and a link, never the README", () => {
            const text = spec().description;
            for (const language of ["typescript", "python", "go", "yaml"])
                expect(text).toContain("```" + language);
            expect(text).toContain("{{% examples %}}");
            expect(text).toMatch(
                new RegExp(`## Import[\\s\\S]*pulumi import dovecot:index:${name} <name> \\S+`),
            );
            expect(text).toContain(`docs/resources/${name}.md`);
        });
    });

    it("says README in no description at all", () => {
        expect(committedText).not.toMatch(/README/);
    });

    it("gives the ACL rights as an enum of Dovecot's rights", () => {
        const rights = committed.resources["dovecot:index:MailboxAcl"]?.inputProperties.rights;
        expect(rights?.items?.$ref).toBe("#/types/dovecot:index:AclRight");
        expect(committed.types["dovecot:index:AclRight"]?.enum?.map((e) => e.value)).toContain("write-seen");
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

    it("configures every connection setting, credentials included, with the environment variable the provider reads", () => {
        const settings = Object.keys(SETTING_SOURCES);
        expect(Object.keys(committed.provider.inputProperties).sort()).toEqual(
            [...settings, "servers"].sort(),
        );
        expect(Object.keys(committed.config.variables).sort()).toEqual([...settings, "servers"].sort());
        for (const [name, source] of Object.entries(SETTING_SOURCES)) {
            const property = committed.provider.inputProperties[name];
            expect(property?.description).toContain(`\`${source.env}\``);
            expect(property?.defaultInfo).toEqual({ environment: [source.env] });
        }
        expect(committed.provider.inputProperties.timeoutMs?.type).toBe("integer");
        expect(committed.provider.inputProperties.maxConcurrency?.type).toBe("integer");
        expect(committed.provider.inputProperties.insecureSkipVerify?.type).toBe("boolean");
    });

    it("wraps each lookup's result in an object", () => {
        expect(committed.functions["dovecot:index:listMailboxes"]?.outputs.required).toEqual(["mailboxes"]);
        expect(committed.functions["dovecot:index:getQuota"]?.outputs.required).toEqual(["quotas"]);
        expect(committed.functions["dovecot:index:listSieveScripts"]?.outputs.required).toEqual(["scripts"]);
        expect(committed.functions["dovecot:index:getMailboxStatus"]?.outputs.required).toEqual(["found"]);
    });
});

describe("scripts/schema.ts refuses a kind it cannot describe", () => {
    const withKind = (kind: AnyKind) => {
        (KINDS as AnyKind[]).push(kind);
        try {
            return buildSchema("0.0.0", "test");
        } finally {
            (KINDS as AnyKind[]).pop();
        }
    };
    const base = KINDS.find((kind) => kind.name === "Subscription") as AnyKind;

    it("an input without a description", () => {
        const kind = defineKind({ ...base, name: "Undescribed", inputs: () => ({ user: z.string() }) });
        expect(() => withKind(kind)).toThrow(SchemaError);
        expect(() => withKind(kind)).toThrow(/dovecot:index:Undescribed.user has no description/);
    });

    it("an import form without an example", () => {
        const kind = defineKind({
            ...base,
            name: "NoExample",
            importId: { ...base.importId, form: "<user>" },
        });
        expect(() => withKind(kind)).toThrow(/NoExample: its import form gives no example/);
    });
});
