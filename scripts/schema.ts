// Writes schema.json, the Pulumi package schema of the `dovecot` provider plugin, from which
// scripts/gen-sdk.sh writes the Python, Go and Node.js SDKs and scripts/docs.ts the docs pages. Nothing
// in it is typed twice: every resource is a kind of provider/kinds (KINDS), whose zod inputs and
// outputs carry their descriptions (`.meta()`), with its description, its example in each language
// and its import id; the settings are provider/settings.ts's, with theirs. Anything the Pulumi
// schema cannot say, or a property without a description, fails the generator.
//
//   npm run schema          (builds the tools, then: node .cache/build/scripts/schema.js)
//   node .cache/build/scripts/schema.js --check   (exits 1 when schema.json is not what it would write)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { MailboxStatus } from "../provider/client/client";
import { QuotaUsage, SieveScriptInfo } from "../provider/client/plugins";
import { KINDS } from "../provider/kinds";
import { AnyKind } from "../provider/kinds/kind";
import { MailboxInfo, MailboxLookupArgs, UserLookupArgs } from "../provider/lookups";
import { SERVERS_SOURCE, SETTING_SOURCES, SettingName } from "../provider/settings";

// ---- What a release sets: where the repository, the plugin and the Go SDK live. ----

/** The GitHub repository (owner and name); the other two constants below repeat its path. */
export const REPOSITORY_URL = "https://github.com/pulumi-dovecot/pulumi-dovecot";

/**
 * Where the engine downloads the plugin from (a GitHub release of REPOSITORY_URL): Pulumi replaces
 * `${VERSION}` with the package version and appends `pulumi-resource-dovecot-v<version>-<os>-<arch>.tar.gz`.
 */
export const PLUGIN_DOWNLOAD_URL =
    "https://github.com/pulumi-dovecot/pulumi-dovecot/releases/download/v${VERSION}/";

/** The Go SDK's import path; its module (sdk/go/go.mod) is this without the last element. */
export const GO_IMPORT_BASE_PATH = "github.com/pulumi-dovecot/pulumi-dovecot/sdk/go/dovecot";

/** The Node.js SDK's npm name. */
export const NODEJS_PACKAGE_NAME = "@pulumi-dovecot/dovecot";

/** The Python SDK's distribution and import name. */
export const PYTHON_PACKAGE_NAME = "pulumi_dovecot";

/** The package name, the first part of every token (`dovecot:index:Mailbox`). */
export const PACKAGE = "dovecot";

/** The TypeScript the Node.js SDK declares for its build (the generator's default is 4.7). */
export const NODEJS_SDK_TYPESCRIPT = "^5.9.3";

/**
 * The README of an SDK's package (its page on PyPI or npm): what it is, one resource in its language,
 * where the settings come from, and a link to the rest. The generators write it into each SDK
 * (sdkgen puts the Python one at the root too, where pyproject.toml names it).
 */
export function sdkReadme(language: "python" | "nodejs", description: string): string {
    const [name, example] =
        language === "python"
            ? [
                  PYTHON_PACKAGE_NAME,
                  [
                      "```python",
                      `import ${PYTHON_PACKAGE_NAME} as dovecot`,
                      "",
                      'dovecot.Mailbox("alice-archive", user="alice@example.org", name="Archive/2026", subscribed=True)',
                      "```",
                  ],
              ]
            : [
                  NODEJS_PACKAGE_NAME,
                  [
                      "```ts",
                      `import * as dovecot from "${NODEJS_PACKAGE_NAME}";`,
                      "",
                      'new dovecot.Mailbox("alice-archive", { user: "alice@example.org", name: "Archive/2026", subscribed: true });',
                      "```",
                  ],
              ];
    return [
        `# ${name}`,
        "",
        `The ${language === "python" ? "Python" : "Node.js"} SDK of the \`${PACKAGE}\` Pulumi provider.`,
        `${description}: \`Mailbox\`, \`FolderSet\`, \`Subscription\`, \`Reload\`, \`SieveScript\`,`,
        "`MailboxAcl`, `MailboxMetadata`, and lookups.",
        "",
        ...example,
        "",
        `The provider's settings come from the stack configuration (\`${PACKAGE}:endpoint\`, the secret`,
        `\`${PACKAGE}:apiKey\`) or the \`DOVEADM_*\` environment variables. The Pulumi CLI runs the provider plugin,`,
        `\`pulumi-resource-${PACKAGE}\`, which it downloads from the package's release on first use. Installing,`,
        "the other settings and each resource's properties:",
        `${REPOSITORY_URL}#use-from-any-language`,
        "",
    ].join("\n");
}

/** The separator the shapes are built with: it changes only their checks, never their keys or types. */
const SEPARATOR = "/";

/** Where the docs pages are, for links in descriptions (read outside the repository: SDKs, IDEs). */
export const DOCS_URL = "https://github.com/pulumi-dovecot/pulumi-dovecot/blob/main/docs";

// ---- The schema's own types (the part of Pulumi's PackageSpec this package uses). ----

/** A property of a resource, type, function or the provider, as the Pulumi schema spells it. */
export interface PropertySpec {
    type?: "string" | "boolean" | "integer" | "number" | "array" | "object";
    $ref?: string;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
    description?: string;
    default?: string | number | boolean;
    defaultInfo?: { environment: string[] };
    secret?: boolean;
}

/** An object type (of `types`, or a function's inputs or outputs), or an enum type of `types`. */
export interface ObjectTypeSpec {
    type?: "object" | "string";
    description?: string;
    properties?: Record<string, PropertySpec>;
    required?: string[];
    enum?: Array<{ value: string; name: string }>;
}

/** A resource. */
export interface ResourceSpec {
    description: string;
    inputProperties: Record<string, PropertySpec>;
    requiredInputs: string[];
    properties: Record<string, PropertySpec>;
    required: string[];
}

/** A function. */
export interface FunctionSpec {
    description: string;
    inputs: ObjectTypeSpec;
    outputs: ObjectTypeSpec;
}

/** The package schema. */
export interface PackageSpec {
    name: string;
    displayName: string;
    version: string;
    description: string;
    keywords: string[];
    homepage: string;
    repository: string;
    license: string;
    publisher: string;
    pluginDownloadURL: string;
    meta: { supportPack: boolean };
    config: { variables: Record<string, PropertySpec> };
    provider: { description: string; inputProperties: Record<string, PropertySpec> };
    types: Record<string, ObjectTypeSpec>;
    resources: Record<string, ResourceSpec>;
    functions: Record<string, FunctionSpec>;
    language: Record<string, unknown>;
}

const token = (name: string) => `${PACKAGE}:index:${name}`;
const ref = (name: string): PropertySpec => ({ $ref: `#/types/${token(name)}` });
const ANY: PropertySpec = { $ref: "pulumi.json#/Any" };
const string = (description: string): PropertySpec => ({ type: "string", description });
const integer = (description: string): PropertySpec => ({ type: "integer", description });
const boolean = (description: string): PropertySpec => ({ type: "boolean", description });
const arrayOf = (items: PropertySpec, description: string): PropertySpec => ({
    type: "array",
    items,
    description,
});

/** A schema problem: the generator stops with it, so that schema.json is never written half right. */
export class SchemaError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SchemaError";
    }
}

// ---- From zod shapes to Pulumi properties. ----

/** A JSON Schema node, as zod's toJSONSchema writes it. */
interface JsonSchema {
    type?: string;
    items?: JsonSchema;
    properties?: Record<string, JsonSchema>;
    required?: string[];
    additionalProperties?: JsonSchema | boolean;
    default?: unknown;
    description?: string;
    enum?: string[];
    [key: string]: unknown;
}

/** One side of a zod shape as JSON Schema: `input` (what a program passes) or `output` (what is recorded). */
function jsonSchemaOf(shape: z.ZodRawShape, io: "input" | "output", where: string): JsonSchema {
    try {
        return z.toJSONSchema(z.object(shape), { io, unrepresentable: "any" }) as JsonSchema;
    } catch (error) {
        throw new SchemaError(`${where}: zod cannot describe the shape: ${String(error)}`);
    }
}

/** What zod's JSON Schema may hold that has no place in the Pulumi schema (checks, and the dialect). */
const DROPPED_JSON_SCHEMA_KEYS = new Set([
    "$schema",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "description",
    "propertyNames",
]);

/** What propertyOf knows. */
const KNOWN_JSON_SCHEMA_KEYS = new Set([
    ...DROPPED_JSON_SCHEMA_KEYS,
    "type",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "anyOf",
]);

/** Makes the named types of a resource's properties (`types` collects them). */
type DefineType = (name: string, node: JsonSchema, where: string) => void;

/**
 * A Pulumi property for a JSON Schema node. Object nodes become named types (`objectTypes` says which
 * name each path gets, and `defineType` receives them), as do strings with a fixed set of values;
 * anything the Pulumi schema cannot say fails.
 */
function propertyOf(
    node: JsonSchema,
    where: string,
    objectTypes: Readonly<Record<string, string>>,
    defineType: DefineType,
): PropertySpec {
    const spec: PropertySpec = {};
    const unknown = Object.keys(node).filter((k) => !KNOWN_JSON_SCHEMA_KEYS.has(k));
    if (unknown.length > 0)
        throw new SchemaError(
            `${where}: the generator does not know how to express ${unknown.join(", ")} of ${JSON.stringify(node)}`,
        );
    // A name or the empty string (METADATA's mailbox): a string.
    if (Array.isArray(node.anyOf)) {
        // A branch zod cannot describe (a transform's input) is `{}`: whatever the other branches take.
        const types = new Set((node.anyOf as JsonSchema[]).map((n) => n.type).filter((t) => t !== undefined));
        if (types.size !== 1 || !types.has("string"))
            throw new SchemaError(`${where}: the Pulumi schema cannot express ${JSON.stringify(node)}`);
        return { type: "string", ...(node.description ? { description: node.description } : {}) };
    }
    if (Object.keys(node).filter((k) => !DROPPED_JSON_SCHEMA_KEYS.has(k)).length === 0) {
        return { ...ANY, ...(node.description ? { description: node.description } : {}) };
    }
    switch (node.type) {
        case "string":
            if (node.enum) {
                const name = objectTypes[where];
                if (name === undefined)
                    throw new SchemaError(
                        `${where}: an enum needs a name (add "${where}" to the kind's objectTypes)`,
                    );
                defineType(name, node, where);
                return ref(name);
            }
            spec.type = "string";
            break;
        case "boolean":
        case "number":
            spec.type = node.type;
            break;
        case "integer":
            spec.type = "integer";
            break;
        case "array":
            if (!node.items) throw new SchemaError(`${where}: an array without items`);
            spec.type = "array";
            spec.items = propertyOf(node.items, `${where}[]`, objectTypes, defineType);
            break;
        case "object": {
            const name = objectTypes[where];
            if (name !== undefined) {
                defineType(name, node, where);
                return { ...ref(name), ...(node.description ? { description: node.description } : {}) };
            }
            if (typeof node.additionalProperties === "object" && !node.properties) {
                spec.type = "object";
                spec.additionalProperties = propertyOf(
                    node.additionalProperties,
                    `${where}{}`,
                    objectTypes,
                    defineType,
                );
                break;
            }
            throw new SchemaError(
                `${where}: an object type needs a name (add "${where}" to its objectTypes)`,
            );
        }
        default:
            throw new SchemaError(`${where}: the Pulumi schema cannot express ${JSON.stringify(node)}`);
    }
    if (node.description) spec.description = node.description;
    const fallback = node.default;
    if (typeof fallback === "string" || typeof fallback === "number" || typeof fallback === "boolean")
        spec.default = fallback;
    return spec;
}

/** `lookup` → `Lookup`; `write-seen` → `WriteSeen`: an enum value's name in the SDKs. */
function pascal(text: string): string {
    return text
        .split(/[^A-Za-z0-9]+/)
        .filter((part) => part !== "")
        .map((part) => part[0]?.toUpperCase() + part.slice(1))
        .join("");
}

/**
 * The named types of `kind`'s properties, made as propertyOf meets them; with `recorded`, for outputs
 * (no defaults: what is recorded is what was applied).
 */
function typeMaker(kind: AnyKind, types: Record<string, ObjectTypeSpec>, recorded = false): DefineType {
    const where = token(kind.name);
    const define: DefineType = (name, node, at) => {
        if (types[token(name)]) return;
        if (node.type === "string" && node.enum) {
            types[token(name)] = {
                type: "string",
                description: described(node, `${where}.${at}`),
                enum: node.enum.map((value) => ({ value, name: pascal(value) })),
            };
            return;
        }
        const keys = Object.keys(node.properties ?? {});
        types[token(name)] = {
            type: "object",
            description: described(node, `${where}.${at}`),
            properties: Object.fromEntries(
                keys.map((k) => {
                    const child = node.properties?.[k] ?? {};
                    const spec = propertyOf(child, `${at}.${k}`, kind.objectTypes ?? {}, define);
                    spec.description = described(child, `${where}.${at}.${k}`);
                    if (recorded) delete spec.default;
                    return [k, spec];
                }),
            ),
            required: node.required ?? [],
        };
    };
    return define;
}

/** A node's description, which every property of the schema must have. */
function described(node: JsonSchema, where: string): string {
    if (typeof node.description !== "string" || node.description === "")
        throw new SchemaError(`${where} has no description: add .meta({ description }) to its zod schema`);
    return node.description;
}

// ---- The resources, from their kinds. ----

/** A fenced code block. */
const fence = (language: string, code: string) => ["```" + language, code, "```"].join("\n");

/**
 * A resource's description as the registry and the SDKs show it: what it is, its example in every
 * language (each SDK keeps its own language's), where its docs page is, and its import id.
 */
export function resourceDescription(kind: AnyKind): string {
    const example = examplesOf(kind);
    return [
        kind.description,
        "",
        "{{% examples %}}",
        "## Example Usage",
        "{{% example %}}",
        `### ${example.title}`,
        "",
        fence("typescript", example.typescript),
        fence("python", example.python),
        fence("go", example.go),
        fence("yaml", example.yaml),
        "{{% /example %}}",
        "{{% /examples %}}",
        "",
        `More: ${DOCS_URL}/resources/${kind.name}.md`,
        "",
        "## Import",
        "",
        `A ${kind.name} is imported by ${kind.importId.form}:`,
        "",
        fence("sh", `$ pulumi import ${token(kind.name)} <name> ${importExample(kind)}`),
    ].join("\n");
}

/** A kind's example program in each language, from its folder's example/ (see KindDefinition.example). */
export interface Examples {
    title: string;
    typescript: string;
    python: string;
    go: string;
    yaml: string;
}

/** The files of a kind's example/ folder, by language. */
export const EXAMPLE_FILES = {
    typescript: "index.ts",
    python: "__main__.py",
    go: "main.go",
    yaml: "Pulumi.yaml",
};

/** A kind's example in each language, as the schema and the docs show it. */
export function examplesOf(kind: AnyKind, root: string = repoRoot()): Examples {
    const read = (file: string) =>
        readFileSync(path.join(root, "provider", "kinds", kind.folder, "example", file), "utf8").trimEnd();
    return {
        title: kind.example,
        typescript: read(EXAMPLE_FILES.typescript),
        python: read(EXAMPLE_FILES.python),
        go: read(EXAMPLE_FILES.go),
        // The program's resources; its name and runtime lines are the project's, not the example's.
        yaml: read(EXAMPLE_FILES.yaml).replace(/^name: .*\nruntime: yaml\n/, ""),
    };
}

/** The example id of an import form (`..., such as alice@example.org/Archive/2026`). */
export function importExample(kind: AnyKind): string {
    const match = /such as (\S+)/.exec(kind.importId.form);
    if (!match?.[1]) throw new SchemaError(`${kind.name}: its import form gives no example ("such as ...")`);
    return match[1].replace(/[,;]$/, "");
}

function resource(kind: AnyKind, types: Record<string, ObjectTypeSpec>): ResourceSpec {
    const where = token(kind.name);
    const defineType = typeMaker(kind, types);
    const objectTypes = kind.objectTypes ?? {};
    const hidden = new Set([...kind.internal, ...(kind.hiddenOutputs ?? [])]);
    const visible = (shape: z.ZodRawShape) =>
        Object.fromEntries(Object.entries(shape).filter(([k]) => !hidden.has(k)));
    const inputShape = visible(kind.inputs(SEPARATOR));
    const inputs = jsonSchemaOf(inputShape, "input", where);
    const inputProperties: Record<string, PropertySpec> = {};
    for (const [key, node] of Object.entries(inputs.properties ?? {})) {
        const spec = propertyOf(node, key, objectTypes, defineType);
        spec.description = described(node, `${where}.${key}`);
        inputProperties[key] = spec;
    }
    // The outputs: every input (as recorded, without defaults) and what the kind adds. Their types are
    // what a value is before zod's transforms (a name is a string); which are always there, after.
    const outputShape = { ...inputShape, ...visible(kind.outputs(SEPARATOR)) };
    const outputs = jsonSchemaOf(outputShape, "input", where);
    const defineRecordedType = typeMaker(kind, types, true);
    const properties: Record<string, PropertySpec> = {};
    for (const [key, node] of Object.entries(outputs.properties ?? {})) {
        const spec = propertyOf(node, key, objectTypes, key in inputShape ? defineType : defineRecordedType);
        spec.description = described(node, `${where}.${key}`);
        delete spec.default;
        properties[key] = spec;
    }
    return {
        description: resourceDescription(kind),
        inputProperties,
        requiredInputs: inputs.required ?? [],
        properties,
        required: jsonSchemaOf(outputShape, "output", where).required ?? [],
    };
}

/** Descriptions of an object type's properties, one per key of T. */
type Descriptions<T> = { [K in keyof T]-?: string };

// ---- Functions (provider/lookups.ts). Their results are objects, as Pulumi's must be. ----

const lookupArgs: Descriptions<UserLookupArgs> = {
    user: "The user, as the server's user database knows them (`alice@example.org`).",
    server: "The configured server (a name under `dovecot:servers`); absent: the default server.",
};

const mailboxLookupArgs: Descriptions<MailboxLookupArgs> = {
    ...lookupArgs,
    mailbox: "The mailbox's full name, levels joined by the server's separator.",
};

const mailboxStatus: Record<keyof MailboxStatus, PropertySpec> = {
    name: string("The mailbox's full name (its INBOX level spelled `INBOX`)."),
    guid: string("The mailbox GUID (32 hex digits); it survives renames."),
    messages: integer("Messages in the mailbox."),
    unseen: integer("Messages without the `\\Seen` flag."),
    uidValidity: integer("The IMAP UIDVALIDITY."),
    uidNext: integer("The next IMAP UID to be assigned."),
    highestModSeq: integer("The highest modification sequence (CONDSTORE)."),
    vsize: integer("The virtual size of all messages, in bytes."),
};

const mailboxInfo: Record<keyof MailboxInfo, PropertySpec> = {
    ...mailboxStatus,
    subscribed: boolean("Whether the user is subscribed to it."),
};

const quotaUsage: Record<keyof QuotaUsage, PropertySpec> = {
    root: string("The quota root's name, for example `User quota`."),
    type: string("`STORAGE` (in KiB) or `MESSAGE` (a count)."),
    value: integer("What is used."),
    limit: integer("The limit; absent when there is none."),
    percent: integer("The percentage of the limit used."),
};

const sieveScriptInfo: Record<keyof SieveScriptInfo, PropertySpec> = {
    name: string("The script's name."),
    active: boolean("Whether it is the user's active script."),
};

/** Input properties from descriptions: all strings (as the lookups take), `user` and `mailbox` required. */
function lookupInputs(descriptions: Record<string, string>): ObjectTypeSpec {
    return {
        properties: Object.fromEntries(Object.entries(descriptions).map(([k, d]) => [k, string(d)])),
        required: Object.keys(descriptions).filter((k) => k !== "server"),
    };
}

function functions(): Record<string, FunctionSpec> {
    const userInputs = lookupInputs(lookupArgs);
    return {
        [token("getMailboxStatus")]: {
            description:
                "One mailbox's status: `found` tells whether the user has a mailbox of that name, and when so the other properties hold its status.",
            inputs: lookupInputs(mailboxLookupArgs),
            outputs: {
                properties: {
                    found: boolean("Whether the user has a mailbox of that name."),
                    ...mailboxStatus,
                },
                required: ["found"],
            },
        },
        [token("listMailboxes")]: {
            description: "Every mailbox of a user with its status and subscription, in one request.",
            inputs: userInputs,
            outputs: {
                properties: { mailboxes: arrayOf(ref("MailboxInfo"), "The user's mailboxes.") },
                required: ["mailboxes"],
            },
        },
        [token("getQuota")]: {
            description: "The user's quota usage and limits (needs the quota plugin); `STORAGE` is in KiB.",
            inputs: userInputs,
            outputs: {
                properties: { quotas: arrayOf(ref("QuotaUsage"), "Each resource of each quota root.") },
                required: ["quotas"],
            },
        },
        [token("listSieveScripts")]: {
            description:
                "The user's Sieve scripts and which one is active (needs Pigeonhole); none for a user without Sieve storage.",
            inputs: userInputs,
            outputs: {
                properties: { scripts: arrayOf(ref("SieveScriptInfo"), "The user's Sieve scripts.") },
                required: ["scripts"],
            },
        },
    };
}

/** The object types of the lookups' results. */
function outputTypes(): Record<string, ObjectTypeSpec> {
    const object = (
        description: string,
        properties: Record<string, PropertySpec>,
        optional: string[] = [],
    ) => ({
        type: "object" as const,
        description,
        properties,
        required: Object.keys(properties).filter((k) => !optional.includes(k)),
    });
    return {
        [token("MailboxInfo")]: object(
            "A mailbox as `listMailboxes` reports it: its status and whether the user is subscribed to it.",
            mailboxInfo,
        ),
        [token("QuotaUsage")]: object("One quota resource of one quota root.", quotaUsage, ["limit"]),
        [token("SieveScriptInfo")]: object("One of a user's Sieve scripts.", sieveScriptInfo),
    };
}

// ---- Provider configuration (provider/settings.ts). ----

function providerSettings() {
    const entries = Object.entries(SETTING_SOURCES) as Array<
        [SettingName, (typeof SETTING_SOURCES)[SettingName]]
    >;
    const spec = (name: SettingName): PropertySpec => {
        const source = SETTING_SOURCES[name];
        return {
            type: source.type,
            description: source.description,
            ...(source.secret ? { secret: true } : {}),
        };
    };
    const server: ObjectTypeSpec = {
        type: "object",
        description: "The connection settings of one named server (`dovecot:servers.<name>`).",
        properties: Object.fromEntries(entries.map(([name]) => [name, spec(name)])),
        required: ["endpoint"],
    };
    const properties = Object.fromEntries([
        ...entries.map(([name, source]) => [
            name,
            {
                ...spec(name),
                description: `${source.description} Read from \`${source.env}\` when not set.`,
                defaultInfo: { environment: [source.env] },
            },
        ]),
        [
            "servers",
            {
                type: "object",
                additionalProperties: ref("ServerSettings"),
                description: `${SERVERS_SOURCE.description} Read from \`${SERVERS_SOURCE.env}\` (the same, as JSON) when not set.`,
                secret: true,
            },
        ],
    ]) as Record<string, PropertySpec>;
    return { server, properties };
}

// ---- The package. ----

/** The package schema for `version`, with the package's `description`. */
export function buildSchema(version: string, description: string): PackageSpec {
    const types: Record<string, ObjectTypeSpec> = {};
    const resources: Record<string, ResourceSpec> = {};
    for (const kind of KINDS) resources[token(kind.name)] = resource(kind, types);
    const provider = providerSettings();
    types[token("ServerSettings")] = provider.server;
    Object.assign(types, outputTypes());
    const sorted = <T>(record: Record<string, T>) =>
        Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
        name: PACKAGE,
        displayName: "Dovecot",
        version,
        description,
        keywords: ["pulumi", "dovecot", "imap", "mail", "category/utility", "kind/native"],
        homepage: REPOSITORY_URL,
        repository: REPOSITORY_URL,
        license: "Apache-2.0",
        publisher: "pulumi-dovecot",
        pluginDownloadURL: PLUGIN_DOWNLOAD_URL,
        meta: { supportPack: true },
        config: { variables: provider.properties },
        provider: {
            description:
                "The dovecot provider: how to reach the doveadm HTTP API of each Dovecot server. Unset settings fall back to the `DOVEADM_*` environment variables.",
            inputProperties: provider.properties,
        },
        types: sorted(types),
        resources,
        functions: functions(),
        language: {
            go: { importBasePath: GO_IMPORT_BASE_PATH, generateResourceContainerTypes: true },
            nodejs: {
                packageName: NODEJS_PACKAGE_NAME,
                typescriptVersion: NODEJS_SDK_TYPESCRIPT,
                readme: sdkReadme("nodejs", description),
            },
            python: {
                packageName: PYTHON_PACKAGE_NAME,
                pyproject: { enabled: true },
                readme: sdkReadme("python", description),
            },
        },
    };
}

/** schema.json's text for a schema: 4-space JSON and a final newline. */
export function renderSchema(spec: PackageSpec): string {
    return `${JSON.stringify(spec, null, 4)}\n`;
}

/** The repository's root: the nearest folder up whose package.json is pulumi-dovecot's. */
export function repoRoot(start: string = __dirname): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        const manifest = path.join(dir, "package.json");
        if (
            existsSync(manifest) &&
            (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-dovecot"
        )
            return dir;
        if (path.dirname(dir) === dir) throw new Error(`no pulumi-dovecot package.json above ${start}`);
    }
}

/** schema.json's text as the repository at `root` defines it (its package.json, and the code). */
export function schemaText(root: string = repoRoot()): string {
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
        version: string;
        description: string;
    };
    return renderSchema(buildSchema(manifest.version, manifest.description));
}

function main(args: string[]): number {
    const root = repoRoot();
    const target = path.join(root, "schema.json");
    let text: string;
    try {
        text = schemaText(root);
    } catch (error) {
        if (error instanceof SchemaError) {
            console.error(`schema: ${error.message}`);
            return 1;
        }
        throw error;
    }
    if (args.includes("--check")) {
        const current = existsSync(target) ? readFileSync(target, "utf8") : "";
        if (current === text) return 0;
        console.error("schema: schema.json is stale; regenerate it with `npm run schema`");
        return 1;
    }
    writeFileSync(target, text);
    console.error(`schema: wrote ${path.relative(process.cwd(), target) || target}`);
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
