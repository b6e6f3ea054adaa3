// Writes schema.json, the Pulumi package schema of the `dovecot` provider plugin, from which
// scripts/gen-sdk.sh writes the Python, Go and Node.js SDKs. Nothing in it is typed twice:
// - each resource's inputs (names, types, which are required, defaults) come from the zod input shape
//   its handler checks them with (provider/handlers/*.ts), less the internal inputs;
// - its outputs are those inputs plus the lists below, which TypeScript holds to the handlers' output
//   types (a property added to MailboxOutputs and missing here is a compile error);
// - every description of an input, and of a connection setting, is the README's row for it (the tables
//   under "Configuration" and each "### <Resource>"): a property without a row, or a row without a
//   property, or a row whose type or default disagrees with the shape, fails the generator.
//
//   npm run schema          (builds the tools, then: node .cache/build/scripts/schema.js)
//   node .cache/build/scripts/schema.js --check   (exits 1 when schema.json is not what it would write)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { aclInputShape, AclProps } from "../provider/handlers/acl";
import {
    FolderSetOutputs,
    folderSetInputShape,
    FolderSpec,
    ManagedFolder,
} from "../provider/handlers/folders";
import { mailboxInputShape, MailboxOutputs } from "../provider/handlers/mailbox";
import { metadataInputShape, MetadataProps } from "../provider/handlers/metadata";
import { reloadInputShape, ReloadProps } from "../provider/handlers/reload";
import { sieveInputShape, SieveProps } from "../provider/handlers/sieve";
import { subscriptionInputShape, SubscriptionProps } from "../provider/handlers/subscription";
import { NAME_KEY } from "../provider/check";
import { MailboxStatus } from "../provider/client/client";
import { QuotaUsage, SieveScriptInfo } from "../provider/client/plugins";
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

/**
 * Whether the SDKs read the two credentials (`apiKey`, `password`) from their DOVEADM_* variables too,
 * as they do the other settings (`defaultInfo.environment`). Off: the Node.js SDK that Pulumi's
 * generator writes sends a credential it read from the environment without marking it secret (the
 * Python and Go SDKs mark it), so an explicit Provider would record it in the state in plain text.
 * The plugin reads DOVEADM_API_KEY and DOVEADM_PASSWORD itself when the setting is absent (as
 * provider/settings.ts does), so nothing is lost.
 */
export const SECRET_ENV_DEFAULTS = false;

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

/** Inputs that the TypeScript resource classes set themselves and that no SDK user passes. */
export const INTERNAL_INPUTS: readonly string[] = ["creator", NAME_KEY];

/** The separator the shapes are built with: it changes only their checks, never their keys or types. */
const SEPARATOR = "/";

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

/** An object type: of `types`, or a function's inputs or outputs. */
export interface ObjectTypeSpec {
    type?: "object";
    description?: string;
    properties: Record<string, PropertySpec>;
    required?: string[];
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

// ---- The README: its property tables are the descriptions. ----

/** One row of a README table, by column header. */
type Row = Record<string, string>;

/** The cells of a Markdown table line (`\|` is a pipe inside a cell). */
function cells(line: string): string[] {
    return line
        .trim()
        .replace(/^\||\|$/g, "")
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

/** The lines of the section under `heading` (up to the next heading of its level or above). */
function section(readme: string, heading: string): string[] {
    const lines = readme.split("\n");
    const level = heading.indexOf(" ");
    const start = lines.findIndex((line) => line.trim() === heading);
    if (start < 0) throw new SchemaError(`README.md has no heading "${heading}"`);
    const rest = lines.slice(start + 1);
    let inFence = false;
    const end = rest.findIndex((line) => {
        if (line.startsWith("```")) inFence = !inFence;
        const m = /^(#+) /.exec(line);
        return !inFence && m !== null && (m[1] ?? "").length <= level;
    });
    return end < 0 ? rest : rest.slice(0, end);
}

/** The first table of a section, as rows keyed by its header; its header must be `columns`. */
function table(readme: string, heading: string, columns: readonly string[]): Row[] {
    const lines = section(readme, heading);
    const start = lines.findIndex((line) => line.trim().startsWith("|"));
    if (start < 0) throw new SchemaError(`README.md: "${heading}" has no table`);
    const header = cells(lines[start] ?? "");
    if (header.join("|") !== columns.join("|"))
        throw new SchemaError(
            `README.md: the table under "${heading}" has the columns ${header.join(", ")}; expected ${columns.join(", ")}`,
        );
    const rows: Row[] = [];
    for (const line of lines.slice(start + 2)) {
        if (!line.trim().startsWith("|")) break;
        const values = cells(line);
        rows.push(Object.fromEntries(header.map((column, i) => [column, values[i] ?? ""])));
    }
    return rows;
}

/** The first paragraph of a section. */
function firstParagraph(readme: string, heading: string): string {
    const lines = section(readme, heading);
    const start = lines.findIndex((line) => line.trim() !== "");
    const end = lines.findIndex((line, i) => i > start && line.trim() === "");
    return lines
        .slice(start, end < 0 ? undefined : end)
        .map((line) => line.trim())
        .join(" ");
}

/** The first sentence of a text (up to a full stop that ends a word and is followed by a capital). */
function firstSentence(text: string): string {
    const m = /^.*?[a-z0-9)`]\.(?=\s+[A-Z`]|$)/s.exec(text);
    return m ? m[0] : text;
}

/**
 * A README cell as an SDK description: links to the README's own sections (`[Several servers](#...)`)
 * name the section instead, as the SDKs' docs are read without the README; a capital first letter; a
 * full stop at the end.
 */
export function asDescription(text: string): string {
    let out = text.replace(/\[([^\]]+)\]\(#[^)]*\)/g, (_m, title: string) => `"${title}" in the README`);
    if (/^[a-z]/.test(out)) out = out[0]?.toUpperCase() + out.slice(1);
    if (!/[.!?]$/.test(out)) out += ".";
    return out;
}

/** The first backticked word of a cell (`` `user` `` → user). */
function codeOf(cell: string): string {
    const m = /`([^`]+)`/.exec(cell);
    if (!m?.[1]) throw new SchemaError(`README.md: expected a \`name\` in the cell "${cell}"`);
    return m[1];
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
    [key: string]: unknown;
}

/** The input side of a zod shape as JSON Schema (defaults included, checks that JSON Schema has kept). */
function jsonSchemaOf(shape: z.ZodRawShape, where: string): JsonSchema {
    try {
        return z.toJSONSchema(z.object(shape), { io: "input" }) as JsonSchema;
    } catch (error) {
        throw new SchemaError(`${where}: zod cannot describe the input shape: ${String(error)}`);
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
]);

/** What propertyOf knows. */
const KNOWN_JSON_SCHEMA_KEYS = new Set([
    ...DROPPED_JSON_SCHEMA_KEYS,
    "type",
    "items",
    "properties",
    "required",
    "additionalProperties",
]);

/**
 * A Pulumi property for a JSON Schema node. Object nodes become named types (`objectTypes` says which
 * name each path gets, and `defineType` receives them); anything the Pulumi schema cannot say fails.
 */
function propertyOf(
    node: JsonSchema,
    where: string,
    objectTypes: Readonly<Record<string, string>>,
    defineType: (name: string, node: JsonSchema, where: string) => void,
): PropertySpec {
    const spec: PropertySpec = {};
    // Checks that the Pulumi schema cannot say (the plugin's check() still makes them) are dropped;
    // anything else zod writes (an enum, a union, a format) is a shape this generator must learn first.
    const unknown = Object.keys(node).filter((k) => !KNOWN_JSON_SCHEMA_KEYS.has(k));
    if (unknown.length > 0)
        throw new SchemaError(
            `${where}: the generator does not know how to express ${unknown.join(", ")} of ${JSON.stringify(node)}`,
        );
    if (Object.keys(node).filter((k) => !DROPPED_JSON_SCHEMA_KEYS.has(k)).length === 0) return { ...ANY };
    switch (node.type) {
        case "string":
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
                return ref(name);
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
    const fallback = node.default;
    if (typeof fallback === "string" || typeof fallback === "number" || typeof fallback === "boolean")
        spec.default = fallback;
    return spec;
}

// ---- Outputs: the handlers' output types, property by property. ----

/** An output property: an input's (`"input"`), or one of its own, always present or not. */
type Output = "input" | { spec: PropertySpec; required: boolean };

/** One entry per key of the handler's output type T: TypeScript fails the build when they drift. */
type Outputs<T> = { [K in keyof T]-?: Output };

/** Descriptions of an object type's properties, one per key of T. */
type Descriptions<T> = { [K in keyof T]-?: string };

/** What the generator knows of one resource besides its README section. */
interface ResourceDef {
    /** The input shape (the handler's), internal inputs included. */
    shape: z.ZodRawShape;
    /** Outputs: every input (as "input") and what the handler adds. */
    outputs: Record<string, Output>;
    /** Names of the object types at paths of the inputs (`folders[]`). */
    objectTypes?: Record<string, string>;
}

const always = (spec: PropertySpec): Output => ({ spec, required: true });
const sometimes = (spec: PropertySpec): Output => ({ spec, required: false });

/** The counters a mailbox status holds, described once for Mailbox and the lookups. */
const counters = {
    messages: integer("Messages in the mailbox when last read."),
    unseen: integer("Messages without the `\\Seen` flag when last read."),
    uidValidity: integer("The IMAP UIDVALIDITY."),
    uidNext: integer("The next IMAP UID to be assigned."),
    highestModSeq: integer("The highest modification sequence (CONDSTORE)."),
    vsize: integer("The virtual size of the messages, in bytes."),
};

/** Where a resource's objects are (see handlers/server.ts), described once for every kind. */
const endpointOutput = sometimes(
    string(
        "The doveadm API endpoint (normalized, without credentials) the resource's server pointed at when the resource last wrote there; absent in records of 0.2. When the server is pointed elsewhere, the next `up` compares the objects there with it.",
    ),
);

const mailboxOutputs: Outputs<Omit<MailboxOutputs, "creator">> = {
    endpoint: endpointOutput,
    user: "input",
    name: "input",
    subscribed: "input",
    forceDestroy: "input",
    adopt: "input",
    server: "input",
    guid: always(
        string(
            "The mailbox GUID (32 hex digits), kept across renames; also the resource id. Empty while a create whose outcome is unknown is pending.",
        ),
    ),
    messages: always(counters.messages),
    unseen: always(counters.unseen),
    uidValidity: always(counters.uidValidity),
    uidNext: always(counters.uidNext),
    highestModSeq: always(counters.highestModSeq),
    vsize: always(counters.vsize),
};

const folderSetOutputs: Outputs<Omit<FolderSetOutputs, "creator">> = {
    endpoint: endpointOutput,
    user: "input",
    folders: "input",
    forceDestroy: "input",
    adopt: "input",
    server: "input",
    mailboxes: always(arrayOf(ref("ManagedFolder"), "Each managed folder as last seen on the server.")),
    unconfirmed: sometimes(
        arrayOf(
            { type: "string" },
            "After a run cut off while creating: the names whose create went unanswered, which the next `up` (or `destroy`) takes over if they exist.",
        ),
    ),
};

const subscriptionOutputs: Outputs<SubscriptionProps> = {
    user: "input",
    mailbox: "input",
    server: "input",
    endpoint: endpointOutput,
};

const reloadOutputs: Outputs<ReloadProps> = {
    triggers: "input",
    server: "input",
    servers: "input",
    reloaded: always({
        type: "object",
        additionalProperties: { type: "string" },
        description:
            "When each server was reloaded for the current triggers (ISO 8601), by server name (`default` for the default server).",
    }),
    reloadedAt: sometimes(string("When the latest of those reloads finished (ISO 8601).")),
};

// `pending` is a marker for the next run (see SieveProps), not for programs, as `creator` is.
const sieveOutputs: Outputs<Omit<SieveProps, "pending">> = {
    endpoint: endpointOutput,
    user: "input",
    name: "input",
    script: "input",
    active: "input",
    adopt: "input",
    server: "input",
    replacedActive: sometimes(
        string(
            "The user's script that was active before this one was made active over it (with `adopt`); destroying this one makes it active again. Absent when this one replaced none.",
        ),
    ),
};

const aclOutputs: Outputs<AclProps> = {
    endpoint: endpointOutput,
    user: "input",
    mailbox: "input",
    identifier: "input",
    rights: "input",
    adopt: "input",
    server: "input",
};

const metadataOutputs: Outputs<MetadataProps> = {
    endpoint: endpointOutput,
    user: "input",
    mailbox: "input",
    key: "input",
    value: "input",
    adopt: "input",
    server: "input",
};

/** The resources, by name (the README's `### <name>` sections describe them). */
const RESOURCES: Record<string, ResourceDef> = {
    Mailbox: { shape: mailboxInputShape(SEPARATOR), outputs: mailboxOutputs },
    FolderSet: {
        shape: folderSetInputShape(SEPARATOR),
        outputs: folderSetOutputs,
        objectTypes: { "folders[]": "Folder" },
    },
    Subscription: { shape: subscriptionInputShape(SEPARATOR), outputs: subscriptionOutputs },
    Reload: { shape: reloadInputShape, outputs: reloadOutputs },
    SieveScript: { shape: sieveInputShape, outputs: sieveOutputs },
    MailboxAcl: { shape: aclInputShape(SEPARATOR), outputs: aclOutputs },
    MailboxMetadata: { shape: metadataInputShape(SEPARATOR), outputs: metadataOutputs },
};

/** Descriptions of the properties of the object types derived from input shapes. */
const DERIVED_TYPE_DESCRIPTIONS: Record<string, { description: string; properties: Record<string, string> }> =
    {
        Folder: {
            description: "One folder of a FolderSet.",
            properties: {
                name: "The folder's full name, levels joined by the server's hierarchy separator (`Archive/2026`).",
                subscribed: "Whether the user is subscribed to it.",
                renamedFrom:
                    "The folder's previous name, to rename it in place (keeping its messages) instead of replacing it.",
            } satisfies Descriptions<FolderSpec>,
        },
    };

const managedFolder: Descriptions<ManagedFolder> = {
    name: "Its name on the server.",
    declaredName:
        "Its name in the program when last applied (differs from `name` after an out-of-band rename).",
    guid: "The mailbox GUID.",
    subscribed: "Whether the user is subscribed to it.",
    messages: "Messages in it when last read.",
};

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
    uidValidity: counters.uidValidity,
    uidNext: counters.uidNext,
    highestModSeq: counters.highestModSeq,
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

/** The object types of the lookups' results and of FolderSet's outputs. */
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
    const described = (descriptions: Record<string, string>, types: Record<string, PropertySpec>) =>
        Object.fromEntries(
            Object.entries(descriptions).map(([k, description]) => [k, { ...types[k], description }]),
        );
    return {
        [token("ManagedFolder")]: object(
            "One folder a FolderSet manages, as last seen on the server.",
            described(managedFolder, {
                name: { type: "string" },
                declaredName: { type: "string" },
                guid: { type: "string" },
                subscribed: { type: "boolean" },
                messages: { type: "integer" },
            }),
        ),
        [token("MailboxInfo")]: object(
            "A mailbox as `listMailboxes` reports it: its status and whether the user is subscribed to it.",
            mailboxInfo,
        ),
        [token("QuotaUsage")]: object("One quota resource of one quota root.", quotaUsage, ["limit"]),
        [token("SieveScriptInfo")]: object("One of a user's Sieve scripts.", sieveScriptInfo),
    };
}

// ---- Provider configuration (provider/settings.ts, the README's Configuration table). ----

/** Each setting's Pulumi type; secrets are marked. */
const SETTING_TYPES: Record<SettingName, PropertySpec> = {
    endpoint: { type: "string" },
    apiKey: { type: "string", secret: true },
    password: { type: "string", secret: true },
    caCert: { type: "string" },
    insecureSkipVerify: { type: "boolean" },
    timeoutMs: { type: "integer" },
    maxConcurrency: { type: "integer" },
    separator: { type: "string" },
};

/** The settings with their README descriptions, checked against SETTING_SOURCES both ways. */
function settings(readme: string): Record<SettingName, PropertySpec & { env: string }> {
    const rows = table(readme, "## Configuration", ["stack config", "environment", "required", "meaning"]);
    const byName = new Map<string, Row>();
    for (const row of rows) {
        const key = codeOf(row["stack config"] ?? "");
        if (!key.startsWith(`${PACKAGE}:`))
            throw new SchemaError(`README.md: Configuration lists "${key}", not a ${PACKAGE}: setting`);
        byName.set(key.slice(PACKAGE.length + 1), row);
    }
    const names = Object.keys(SETTING_SOURCES) as SettingName[];
    const extra = [...byName.keys()].filter((k) => !(names as string[]).includes(k));
    if (extra.length > 0)
        throw new SchemaError(
            `README.md: Configuration lists ${extra.join(", ")}, which provider/settings.ts does not know`,
        );
    const out = {} as Record<SettingName, PropertySpec & { env: string }>;
    for (const name of names) {
        const row = byName.get(name);
        if (!row)
            throw new SchemaError(
                `README.md: the Configuration table has no row for dovecot:${name} (provider/settings.ts has it)`,
            );
        const env = codeOf(row.environment ?? "");
        if (env !== SETTING_SOURCES[name].env)
            throw new SchemaError(
                `README.md: Configuration gives dovecot:${name} the variable ${env}; provider/settings.ts reads ${SETTING_SOURCES[name].env}`,
            );
        const secret = /\(secret\)/.test(row["stack config"] ?? "");
        if (secret !== (SETTING_TYPES[name].secret === true))
            throw new SchemaError(
                `README.md: Configuration ${secret ? "marks" : "does not mark"} dovecot:${name} as a secret; the schema ${secret ? "does not" : "does"}`,
            );
        out[name] = { ...SETTING_TYPES[name], description: asDescription(row.meaning ?? ""), env };
    }
    return out;
}

const SERVERS_DESCRIPTION =
    `Named servers beside the default one (the top-level settings, called \`default\`), by name: letters, digits, \`-\` and \`_\`. ` +
    `Each takes the same settings as the top level. Read from \`${SERVERS_SOURCE.env}\` (the same, as JSON) when not set; ` +
    `resources and lookups choose one with their \`server\` input.`;

function providerSettings(readme: string) {
    const all = settings(readme);
    const server: ObjectTypeSpec = {
        type: "object",
        description: "The connection settings of one named server (`dovecot:servers.<name>`).",
        properties: Object.fromEntries(
            Object.entries(all).map(([name, { env: _env, ...spec }]) => [name, spec]),
        ),
        required: ["endpoint"],
    };
    const properties = Object.fromEntries([
        ...Object.entries(all).map(([name, { env, ...spec }]) => [
            name,
            {
                ...spec,
                description: `${spec.description} Read from \`${env}\` when not set.`,
                ...(spec.secret && !SECRET_ENV_DEFAULTS ? {} : { defaultInfo: { environment: [env] } }),
            },
        ]),
        [
            "servers",
            {
                type: "object",
                additionalProperties: ref("ServerSettings"),
                description: SERVERS_DESCRIPTION,
                secret: true,
            },
        ],
    ]) as Record<string, PropertySpec>;
    return { server, properties };
}

// ---- The resources, from their shapes and README sections. ----

/** The README's column "type" of an input, for a property spec (to catch a table that drifted). */
function readmeType(spec: PropertySpec, types: Record<string, ObjectTypeSpec>): string {
    if (spec.type === "array" && spec.items) {
        const items = spec.items;
        if (items.$ref === ANY.$ref) return "array";
        if (items.$ref) {
            const type = types[items.$ref.replace("#/types/", "")];
            const keys = Object.keys(type?.properties ?? {}).map((k) =>
                type?.required?.includes(k) ? k : `${k}?`,
            );
            return `\`{ ${keys.join(", ")} }[]\``;
        }
        return `${items.type}[]`;
    }
    return spec.type ?? "?";
}

function resource(
    name: string,
    def: ResourceDef,
    readme: string,
    types: Record<string, ObjectTypeSpec>,
): ResourceSpec {
    const where = `dovecot:index:${name}`;
    const shape = Object.fromEntries(Object.entries(def.shape).filter(([k]) => !INTERNAL_INPUTS.includes(k)));
    const json = jsonSchemaOf(shape, where);
    const required = json.required ?? [];
    const defineType = (typeName: string, node: JsonSchema, at: string) => {
        const docs = DERIVED_TYPE_DESCRIPTIONS[typeName];
        if (!docs) throw new SchemaError(`${where}.${at}: no descriptions for the type ${typeName}`);
        const keys = Object.keys(node.properties ?? {});
        const described = Object.keys(docs.properties);
        if (keys.join() !== described.join())
            throw new SchemaError(
                `${where}.${at}: the shape has ${keys.join(", ")}; the descriptions of ${typeName} have ${described.join(", ")}`,
            );
        types[token(typeName)] = {
            type: "object",
            description: docs.description,
            properties: Object.fromEntries(
                keys.map((k) => [
                    k,
                    {
                        ...propertyOf(node.properties?.[k] ?? {}, `${at}.${k}`, {}, defineType),
                        description: docs.properties[k],
                    },
                ]),
            ),
            required: node.required ?? [],
        };
    };

    const rows = new Map<string, Row>();
    for (const row of table(readme, `### ${name}`, ["property", "type", "required", "description"]))
        rows.set(codeOf(row.property ?? ""), row);
    const inputProperties: Record<string, PropertySpec> = {};
    for (const [key, node] of Object.entries(json.properties ?? {})) {
        const row = rows.get(key);
        if (!row)
            throw new SchemaError(
                `README.md: the table under "### ${name}" has no row for \`${key}\`, an input of ${where}`,
            );
        const spec = propertyOf(node, key, def.objectTypes ?? {}, defineType);
        // The README's columns agree with the shape: its type, and `yes`, `no` or `no (<default>)`.
        const type = readmeType(spec, types);
        if (row.type !== type)
            throw new SchemaError(
                `README.md: ${name}.${key} is "${row.type}" in the table; the shape says "${type}"`,
            );
        const expected = required.includes(key)
            ? "yes"
            : "default" in node
              ? `no (\`${JSON.stringify(node.default)}\`)`
              : "no";
        if (row.required !== expected)
            throw new SchemaError(
                `README.md: ${name}.${key} is "${row.required}" in the required column; the shape says "${expected}"`,
            );
        inputProperties[key] = { ...spec, description: asDescription(row.description ?? "") };
    }
    const unused = [...rows.keys()].filter((k) => !(k in inputProperties));
    if (unused.length > 0)
        throw new SchemaError(
            `README.md: the table under "### ${name}" has rows for ${unused.join(", ")}, which are not inputs of ${where}`,
        );

    const properties: Record<string, PropertySpec> = {};
    const outputRequired: string[] = [];
    for (const [key, output] of Object.entries(def.outputs)) {
        if (output === "input") {
            const input = inputProperties[key];
            if (!input)
                throw new SchemaError(`${where}: the output ${key} is listed as an input, which it is not`);
            properties[key] = { ...input };
            delete properties[key].default;
            const node = json.properties?.[key];
            if (required.includes(key) || (node && "default" in node)) outputRequired.push(key);
        } else {
            properties[key] = output.spec;
            if (output.required) outputRequired.push(key);
        }
    }
    const missing = Object.keys(inputProperties).filter((k) => !(k in properties));
    if (missing.length > 0)
        throw new SchemaError(`${where}: the inputs ${missing.join(", ")} are not among its outputs`);

    return {
        description: asDescription(firstSentence(firstParagraph(readme, `### ${name}`))),
        inputProperties,
        requiredInputs: required,
        properties,
        required: outputRequired,
    };
}

/** The lookups the README's table lists must be the functions of the schema. */
function checkLookups(readme: string, names: string[]): void {
    const rows = table(readme, "### Lookups", ["function", "returns"]);
    const listed = rows.map((row) => codeOf(row.function ?? "").replace(/\(.*$/, ""));
    if (listed.join() !== names.join())
        throw new SchemaError(
            `README.md: the Lookups table lists ${listed.join(", ")}; the schema has the functions ${names.join(", ")}`,
        );
}

/** The package schema, from the README's text and the package version. */
export function buildSchema(readme: string, version: string, description: string): PackageSpec {
    const types: Record<string, ObjectTypeSpec> = {};
    const resources: Record<string, ResourceSpec> = {};
    for (const [name, def] of Object.entries(RESOURCES))
        resources[token(name)] = resource(name, def, readme, types);
    const provider = providerSettings(readme);
    types[token("ServerSettings")] = provider.server;
    Object.assign(types, outputTypes());
    const fns = functions();
    checkLookups(
        readme,
        Object.keys(fns).map((t) => t.replace(`${PACKAGE}:index:`, "")),
    );
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
        functions: fns,
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

/** schema.json's text as the repository at `root` defines it (its README.md and package.json). */
export function schemaText(root: string = repoRoot()): string {
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
        version: string;
        description: string;
    };
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    return renderSchema(buildSchema(readme, manifest.version, manifest.description));
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
