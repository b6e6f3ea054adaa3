// Connection settings: one zod schema, read from the stack configuration (dovecot:*) with the
// environment (DOVEADM_*) as fallback. Errors name the settings that would fix them and never echo a
// value, since two of them are credentials.
import { X509Certificate } from "node:crypto";
import { z } from "zod";

/** The names of the connection settings. */
export type SettingName =
    | "endpoint"
    | "apiKey"
    | "password"
    | "caCert"
    | "insecureSkipVerify"
    | "timeoutMs"
    | "maxConcurrency"
    | "separator";

/** Where a setting is read from, and what it is. */
export interface SettingSource {
    /** Its stack configuration key, such as `dovecot:endpoint`. */
    readonly config: string;
    /** Its environment variable, read when the configuration lacks the key, such as `DOVEADM_ENDPOINT`. */
    readonly env: string;
    /** What it is and what it takes (the schema's, the SDKs' and the docs' description). */
    readonly description: string;
    /** Its type in the configuration. */
    readonly type: "string" | "boolean" | "integer";
    /** True for a credential: kept secret, and warned about when stored in plain text. */
    readonly secret?: boolean;
}

/** The settings, each with its stack configuration key, environment variable and description. */
export const SETTING_SOURCES: Readonly<Record<SettingName, SettingSource>> = {
    endpoint: {
        config: "dovecot:endpoint",
        env: "DOVEADM_ENDPOINT",
        type: "string",
        description:
            "`http(s)://host:port` of the doveadm HTTP listener; `/doveadm/v1` is appended when absent (a path ending in `/doveadm` is completed, a proxy prefix such as `/mail` is kept). It must hold no credentials.",
    },
    apiKey: {
        config: "dovecot:apiKey",
        env: "DOVEADM_API_KEY",
        type: "string",
        secret: true,
        description:
            "`doveadm_api_key` of the server (`Authorization: X-Dovecot-API`); this or `password` is required.",
    },
    password: {
        config: "dovecot:password",
        env: "DOVEADM_PASSWORD",
        type: "string",
        secret: true,
        description:
            "`doveadm_password` of the server (HTTP Basic as user `doveadm`), when no `apiKey` is set.",
    },
    caCert: {
        config: "dovecot:caCert",
        env: "DOVEADM_CA_CERT",
        type: "string",
        description: "PEM of the CA (or CAs) that signed an https endpoint's certificate; each must parse.",
    },
    insecureSkipVerify: {
        config: "dovecot:insecureSkipVerify",
        env: "DOVEADM_INSECURE_SKIP_VERIFY",
        type: "boolean",
        description:
            "`true` (any letter case; also `yes`, `1`) accepts any certificate (test servers only; warns).",
    },
    timeoutMs: {
        config: "dovecot:timeoutMs",
        env: "DOVEADM_TIMEOUT_MS",
        type: "integer",
        description: "Per-request timeout in milliseconds, 100 to 600000, default 30000.",
    },
    maxConcurrency: {
        config: "dovecot:maxConcurrency",
        env: "DOVEADM_MAX_CONCURRENCY",
        type: "integer",
        description: "Requests in flight per endpoint, 1 to 64, default 4.",
    },
    separator: {
        config: "dovecot:separator",
        env: "DOVEADM_SEPARATOR",
        type: "string",
        description: "The mailbox hierarchy separator of the server's namespace, default `/`.",
    },
};

/** `true`/`false` in any letter case (also yes/no, 1/0), as a boolean or as the text config holds. */
const booleanText = z.union([z.boolean(), z.string()]).transform((value, ctx) => {
    if (typeof value === "boolean") return value;
    const text = value.trim().toLowerCase();
    if (["true", "yes", "1"].includes(text)) return true;
    if (["false", "no", "0"].includes(text)) return false;
    ctx.addIssue({ code: "custom", message: "must be true or false" });
    return z.NEVER;
});

/** A whole number from `min` to `max`, as a number or as the text config holds. */
const integerText = (min: number, max: number, unit: string) =>
    z.union([z.number(), z.string()]).transform((value, ctx) => {
        const number = typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
        if (Number.isInteger(number) && number >= min && number <= max) return number;
        ctx.addIssue({ code: "custom", message: `must be a whole number of ${unit} from ${min} to ${max}` });
        return z.NEVER;
    });

/**
 * The API URL for an endpoint: the path is resolved (`..` and all), then `/doveadm/v1` is kept,
 * `/doveadm` is completed, and anything else (root, or a proxy's prefix such as `/mail`) gets
 * `/doveadm/v1` appended.
 */
export function apiUrl(endpoint: string): string {
    const url = new URL(endpoint);
    const path = url.pathname.replace(/\/+$/, "");
    if (path.endsWith("/doveadm/v1")) url.pathname = path;
    else if (path.endsWith("/doveadm")) url.pathname = `${path}/v1`;
    else url.pathname = `${path}/doveadm/v1`;
    url.search = "";
    url.hash = "";
    return url.toString();
}

/** Why a PEM bundle is not usable as a CA, or undefined when every certificate in it parses. */
function caCertProblem(pem: string): string | undefined {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0)
        return "must be a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)";
    for (const [i, block] of blocks.entries()) {
        try {
            new X509Certificate(block);
        } catch {
            return `is not a valid PEM certificate: certificate ${i + 1} of ${blocks.length} does not parse (check that it was copied whole, line breaks included)`;
        }
    }
    return undefined;
}

/** The connection settings schema; the type is inferred from it. */
export const connectionSettingsSchema = z
    .object({
        endpoint: z
            .string()
            .trim()
            .refine((v) => {
                try {
                    const url = new URL(v);
                    return (
                        (url.protocol === "http:" || url.protocol === "https:") &&
                        !url.username &&
                        !url.password
                    );
                } catch {
                    return false;
                }
            }, "must be an http:// or https:// URL without credentials in it, for example http://127.0.0.1:8080")
            .transform(apiUrl),
        apiKey: z.string().min(1, "must not be empty").optional(),
        password: z.string().min(1, "must not be empty").optional(),
        caCert: z
            .string()
            .superRefine((v, ctx) => {
                const problem = caCertProblem(v);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .optional(),
        insecureSkipVerify: booleanText.default(false),
        timeoutMs: integerText(100, 600_000, "milliseconds").default(30_000),
        maxConcurrency: integerText(1, 64, "requests").default(4),
        separator: z.string().length(1, "must be one character").default("/"),
    })
    .refine((s) => s.apiKey !== undefined || s.password !== undefined, {
        path: ["apiKey"],
        message: "a credential is required",
    });

/** Validated connection settings of one server. */
export interface ConnectionSettings {
    /** The API URL, ending in `/doveadm/v1`. */
    endpoint: string;
    /** The `doveadm_api_key` (sent as `X-Dovecot-API`), when set. */
    apiKey?: string;
    /** The `doveadm_password` (HTTP Basic as user `doveadm`), when set and no API key is. */
    password?: string;
    /** PEM of the CA (or CAs) that signed an https endpoint's certificate. */
    caCert?: string;
    /** Accept any certificate (test servers only). */
    insecureSkipVerify: boolean;
    /** The per-request timeout in milliseconds. */
    timeoutMs: number;
    /** Requests in flight at once to this endpoint. */
    maxConcurrency: number;
    /** The mailbox hierarchy separator of the server's namespace. */
    separator: string;
}

/** The schema's output is exactly ConnectionSettings (a compile-time check both ways). */
const settingsMatch: [ConnectionSettings, z.output<typeof connectionSettingsSchema>] = [
    {} as z.output<typeof connectionSettingsSchema>,
    {} as ConnectionSettings,
];
void settingsMatch;

/** A source of named settings, such as Pulumi's dynamic provider Config. */
export interface SettingsSource {
    /** The value of a namespaced key such as `dovecot:endpoint`, or undefined. */
    get(key: string): string | undefined;
}

/** A missing or malformed connection setting. The message names the settings that would fix it. */
export class SettingsError extends Error {
    /** A stable machine-readable code. */
    readonly code = "DOVEADM_SETTINGS";
    /** The settings that are missing or malformed. */
    readonly settings: string[];

    constructor(message: string, settings: string[]) {
        super(message);
        this.name = "SettingsError";
        this.settings = settings;
    }

    /** Settings errors stop the run: every request would fail the same way. */
    get fatal(): boolean {
        return true;
    }
}

function describe(name: SettingName): string {
    const source = SETTING_SOURCES[name];
    return `${source.config} (or ${source.env})`;
}

/** Validates raw setting values; `label` names a setting in messages. Throws one SettingsError. */
function validate(
    raw: Record<string, unknown>,
    label: (name: SettingName) => string,
    fix: string,
): ConnectionSettings {
    const result = connectionSettingsSchema.safeParse(raw);
    if (result.success) return result.data;
    const problems = result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "apiKey") as SettingName;
        const text =
            name === "apiKey" && issue.message === "a credential is required"
                ? `${label("apiKey")} or ${label("password")}`
                : label(name);
        // zod's message for a refinement is ours; for type errors it names types, never values.
        return { label: text, text: `${text}: ${issue.message}` };
    });
    throw new SettingsError(
        `pulumi-dovecot settings are invalid: ${problems.map((p) => p.text).join("; ")}. ${fix}`,
        problems.map((p) => p.label),
    );
}

/**
 * Reads the settings from the stack configuration, falling back to the environment for each key
 * that the configuration lacks, and validates them. Throws one SettingsError naming every problem.
 * These are the default server's settings (see resolveServer for the named ones).
 */
export function resolveSettings(
    config?: SettingsSource,
    env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
    const raw: Record<string, string | undefined> = {};
    for (const [name, source] of Object.entries(SETTING_SOURCES)) {
        const fromConfig = config?.get(source.config);
        const value = fromConfig !== undefined && fromConfig !== "" ? fromConfig : env[source.env];
        raw[name] = value === "" ? undefined : value;
    }
    if (raw.endpoint === undefined) {
        const missing = [describe("endpoint")];
        if (raw.apiKey === undefined && raw.password === undefined)
            missing.push(`${describe("apiKey")} or ${describe("password")}`);
        throw new SettingsError(
            `pulumi-dovecot is not configured: set ${missing.join(", and ")}. ` +
                "For example: pulumi config set dovecot:endpoint http://127.0.0.1:8080 && pulumi config set --secret dovecot:apiKey <key>",
            missing,
        );
    }
    return validate(
        raw,
        describe,
        "Correct them with pulumi config set (use --secret for credentials) or the environment.",
    );
}

// ---- Named servers: `dovecot:servers.<name>.<setting>`, beside the default server above. ----

/** The stack configuration key of the named servers, and its environment fallback (JSON text). */
export const SERVERS_SOURCE = {
    config: "dovecot:servers",
    env: "DOVEADM_SERVERS",
    description:
        "Named servers beside the default one (the top-level settings, called `default`), by name: letters, digits, `-` and `_`. Each takes the same settings as the top level; resources and lookups choose one with their `server` input.",
} as const;

/** The name that stands for the top-level settings (the default server) wherever a server is named. */
export const DEFAULT_SERVER = "default";

/** A server name: what `server` inputs and `dovecot:servers.<name>` use. */
export const serverNameSchema = z
    .string({ error: "must be a string" })
    .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
        "must be a server name: letters, digits, '-' and '_', at most 63, starting with a letter or digit",
    );

/** Why `name` cannot be used in a server's key, or undefined. */
function serverNameProblem(name: string): string | undefined {
    if (name === DEFAULT_SERVER)
        return `"${DEFAULT_SERVER}" stands for the top-level settings (dovecot:endpoint and the rest): set those instead, or choose another name`;
    const result = serverNameSchema.safeParse(name);
    return result.success ? undefined : result.error.issues[0]?.message;
}

/**
 * The named servers' raw settings, by name, from `dovecot:servers` (JSON, as Pulumi passes structured
 * configuration) or else DOVEADM_SERVERS. Only the shape is checked here; each server's settings are
 * validated when a resource uses it (resolveServer). Throws a SettingsError for a malformed value.
 */
export function serverEntries(
    config?: SettingsSource,
    env: NodeJS.ProcessEnv = process.env,
    labels?: { where: string; example: string },
): Map<string, Record<string, unknown>> {
    const fromConfig = config?.get(SERVERS_SOURCE.config);
    const text = fromConfig !== undefined && fromConfig !== "" ? fromConfig : env[SERVERS_SOURCE.env];
    const where =
        labels?.where ??
        (fromConfig !== undefined && fromConfig !== "" ? SERVERS_SOURCE.config : SERVERS_SOURCE.env);
    const servers = new Map<string, Record<string, unknown>>();
    if (text === undefined || text === "") return servers;
    const example =
        labels?.example ??
        `For example: pulumi config set --path '${SERVERS_SOURCE.config}.backend1.endpoint' http://10.0.0.11:8080`;
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        // The text may hold credentials: say where it is wrong, never what it holds.
        throw new SettingsError(
            `pulumi-dovecot settings are invalid: ${where} is not a JSON object of servers. Set each server's settings with --path. ${example}`,
            [where],
        );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new SettingsError(
            `pulumi-dovecot settings are invalid: ${where} must map server names to their settings. ${example}`,
            [where],
        );
    }
    const problems: string[] = [];
    for (const [name, entry] of Object.entries(value)) {
        const nameProblem = serverNameProblem(name);
        if (nameProblem) {
            problems.push(`${where}.${name}: the name ${nameProblem}`);
            continue;
        }
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            problems.push(
                `${where}.${name}: must hold the server's settings (endpoint, apiKey or password, ...)`,
            );
            continue;
        }
        const unknown = Object.keys(entry as object).filter((key) => !Object.hasOwn(SETTING_SOURCES, key));
        if (unknown.length > 0) {
            problems.push(
                `${where}.${name}: unknown setting ${unknown.map((k) => JSON.stringify(k)).join(", ")} (the settings are ${Object.keys(SETTING_SOURCES).join(", ")})`,
            );
            continue;
        }
        servers.set(name, entry as Record<string, unknown>);
    }
    if (problems.length > 0) {
        throw new SettingsError(
            `pulumi-dovecot settings are invalid: ${problems.join("; ")}. ${example}`,
            problems.map((p) => p.slice(0, p.indexOf(":"))),
        );
    }
    return servers;
}

/** The validated settings of the named server `name`, whose raw settings are `entry`. */
export function resolveServer(name: string, entry: Record<string, unknown>): ConnectionSettings {
    return resolveServerWith(name, entry, CONFIG_LABELS);
}

function resolveServerWith(
    name: string,
    entry: Record<string, unknown>,
    labels: SettingLabels,
): ConnectionSettings {
    const label = (setting: SettingName) => labels.server(name, setting);
    const raw: Record<string, unknown> = {};
    for (const setting of Object.keys(SETTING_SOURCES)) {
        const value = entry[setting];
        // Structured config may hold a number or a boolean where the top-level settings hold text.
        raw[setting] =
            value === "" || value === null
                ? undefined
                : typeof value === "number" || typeof value === "boolean"
                  ? String(value)
                  : value;
    }
    if (raw.endpoint === undefined || (raw.apiKey === undefined && raw.password === undefined)) {
        const missing = raw.endpoint === undefined ? [label("endpoint")] : [];
        if (raw.apiKey === undefined && raw.password === undefined)
            missing.push(`${label("apiKey")} or ${label("password")}`);
        throw new SettingsError(
            `pulumi-dovecot server ${JSON.stringify(name)} is not configured: set ${missing.join(", and ")}. ` +
                (labels === CONFIG_LABELS
                    ? `For example: pulumi config set --path '${label("endpoint")}' http://10.0.0.11:8080 && pulumi config set --secret --path '${label("apiKey")}' <key>`
                    : labels.fix),
            missing,
        );
    }
    return validate(
        raw,
        label,
        labels === CONFIG_LABELS
            ? "Correct them with pulumi config set --path (use --secret for credentials)."
            : labels.fix,
    );
}

// ---- The settings of one provider instance, checked as a whole (the plugin's CheckConfig). ----

/** How the messages about one provider's settings name them. */
export interface SettingLabels {
    /** A top-level setting: `dovecot:endpoint (or DOVEADM_ENDPOINT)`, or an explicit provider's `endpoint`. */
    setting: (name: SettingName) => string;
    /** A setting of a named server: `dovecot:servers.b1.endpoint`, or `servers.b1.endpoint`. */
    server: (server: string, name: SettingName) => string;
    /** How to correct them. */
    fix: string;
}

/** The labels of the stack configuration's settings (the default provider, the dynamic resources). */
export const CONFIG_LABELS: SettingLabels = {
    setting: describe,
    server: (server, name) => `${SERVERS_SOURCE.config}.${server}.${name}`,
    fix: "Correct them with pulumi config set (use --secret for credentials, --path for dovecot:servers).",
};

/** The labels of an explicit provider's properties. */
export function providerLabels(provider: string): SettingLabels {
    return {
        setting: (name) => `the property \`${name}\` of the provider ${JSON.stringify(provider)}`,
        server: (server, name) =>
            `the property \`servers.${server}.${name}\` of the provider ${JSON.stringify(provider)}`,
        fix: `Correct them where the program declares the provider ${JSON.stringify(provider)}.`,
    };
}

/**
 * What is wrong with the settings of one provider instance (its properties, or the stack
 * configuration for the default provider), as messages naming each setting and never its value;
 * empty when nothing is. A setting absent here may still come from the environment, and a server
 * without an endpoint is not an error until a resource uses it; but an explicit provider's property
 * given empty is one, and every named server must be complete and valid.
 */
export function providerSettingsProblems(
    values: Record<string, unknown>,
    labels: SettingLabels,
    explicit: boolean,
): string[] {
    const problems: string[] = [];
    const raw: Record<string, unknown> = {};
    for (const name of Object.keys(SETTING_SOURCES) as SettingName[]) {
        const value = values[name];
        if (value === "" && explicit && (name === "endpoint" || name === "apiKey" || name === "password"))
            problems.push(`${labels.setting(name)} is empty: give it a value, or leave it out`);
        raw[name] =
            value === "" || value === null
                ? undefined
                : typeof value === "number" || typeof value === "boolean"
                  ? String(value)
                  : value;
    }
    if (problems.length === 0 && raw.endpoint !== undefined) {
        try {
            validate(raw, labels.setting, labels.fix);
        } catch (error) {
            if (!(error instanceof SettingsError)) throw error;
            // A credential may come from the environment (DOVEADM_API_KEY): missing is not wrong here.
            const credentialOnly = error.settings.every(
                (s) => s.includes("apiKey") && s.includes("password"),
            );
            if (!credentialOnly || explicit) problems.push(error.message);
        }
    }
    const servers = values.servers;
    if (servers !== undefined && servers !== null && servers !== "") {
        const text = typeof servers === "string" ? servers : JSON.stringify(servers);
        try {
            const entries = serverEntries(
                { get: (key) => (key === SERVERS_SOURCE.config ? text : undefined) },
                {},
                explicit ? { where: "servers", example: labels.fix } : undefined,
            );
            for (const [name, entry] of entries) resolveServerWith(name, entry, labels);
        } catch (error) {
            if (!(error instanceof SettingsError)) throw error;
            problems.push(error.message);
        }
    }
    return problems;
}

/** The Authorization header value for the settings: the API key when set, else the doveadm password. */
export function authorizationHeader(settings: ConnectionSettings): string {
    if (settings.apiKey !== undefined)
        return `X-Dovecot-API ${Buffer.from(settings.apiKey).toString("base64")}`;
    return `Basic ${Buffer.from(`doveadm:${settings.password ?? ""}`).toString("base64")}`;
}
