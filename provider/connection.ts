// The provider process's connections: the settings handed to configure() (or the environment), and one
// client per server, shared by every resource the process handles so that they share its limits. The
// default server is the top-level settings (dovecot:endpoint, ...); named ones are dovecot:servers.<name>.
import { DoveadmClient } from "./client/client";
import {
    ConnectionSettings,
    DEFAULT_SERVER,
    SERVERS_SOURCE,
    SETTING_SOURCES,
    SettingsError,
    SettingsSource,
    resolveServer,
    resolveSettings,
    serverEntries,
} from "./settings";

let source: SettingsSource | undefined;
const clients = new Map<string, DoveadmClient>();
let entries: Map<string, Record<string, unknown>> | undefined;

/** Records the stack configuration given to the dynamic provider's configure(). */
export function configureConnection(config: SettingsSource | undefined): void {
    source = config;
    clients.clear();
    entries = undefined;
}

/** The named servers' raw settings (parsed once; a malformed value throws each time it is asked for). */
function named(): Map<string, Record<string, unknown>> {
    entries ??= serverEntries(source);
    return entries;
}

/** The name a `server` input stands for: absent is the default server. */
function nameOf(server: string | undefined): string {
    return server ?? DEFAULT_SERVER;
}

/** True when the stack configuration (or the environment) gives the default server an endpoint. */
function defaultConfigured(): boolean {
    const { config, env } = SETTING_SOURCES.endpoint;
    const value = source?.get(config);
    return (value !== undefined && value !== "") || (process.env[env] ?? "") !== "";
}

/** The names of the servers the configuration knows: `default` (when configured) and the named ones. */
export function knownServers(): string[] {
    const names = [...named().keys()].sort();
    return defaultConfigured() ? [DEFAULT_SERVER, ...names] : names;
}

/**
 * Why `server` is not a server of this configuration, for check(); undefined when it is. The default
 * server is always accepted here: a missing default fails with its own advice when it is used.
 */
export function unknownServer(server: string | undefined): string | undefined {
    if (server === undefined || server === DEFAULT_SERVER) return undefined;
    let servers: Map<string, Record<string, unknown>>;
    try {
        servers = named();
    } catch (error) {
        if (error instanceof SettingsError) return error.message;
        throw error;
    }
    if (servers.has(server)) return undefined;
    const known = knownServers();
    return (
        `server ${JSON.stringify(server)} is not configured; ` +
        (known.length > 0
            ? `the configured servers are ${known.map((n) => JSON.stringify(n)).join(", ")}. `
            : "no server is configured. ") +
        `Fix the name, or configure it: pulumi config set --path '${SERVERS_SOURCE.config}.${server}.endpoint' <url> && pulumi config set --secret --path '${SERVERS_SOURCE.config}.${server}.apiKey' <key>`
    );
}

function settingsOf(name: string): ConnectionSettings {
    if (name === DEFAULT_SERVER) {
        try {
            return resolveSettings(source);
        } catch (error) {
            // With named servers configured, the likelier fix is naming one of them.
            const others = error instanceof SettingsError ? [...named().keys()] : [];
            if (others.length > 0 && !defaultConfigured()) {
                throw new SettingsError(
                    `${(error as SettingsError).message} Or set \`server\` on the resource to one of the configured servers: ${others.map((n) => JSON.stringify(n)).join(", ")}.`,
                    (error as SettingsError).settings,
                );
            }
            throw error;
        }
    }
    const entry = named().get(name);
    if (!entry) throw new SettingsError(unknownServer(name) ?? `server ${name} is not configured`, [name]);
    return resolveServer(name, entry);
}

/** The client of `server` (absent: the default server); throws a SettingsError naming what is missing. */
export function clientFor(server?: string): DoveadmClient {
    const name = nameOf(server);
    let client = clients.get(name);
    if (!client) {
        const settings = settingsOf(name);
        if (settings.insecureSkipVerify) {
            console.warn(
                `pulumi-dovecot: TLS certificate verification is OFF for ${new URL(settings.endpoint).origin} ` +
                    `(${name === DEFAULT_SERVER ? "dovecot:insecureSkipVerify" : `${SERVERS_SOURCE.config}.${name}.insecureSkipVerify`}). ` +
                    "Anyone on the path can read the credentials; use caCert instead.",
            );
        }
        client = new DoveadmClient(settings);
        clients.set(name, client);
    }
    return client;
}

/** The default server's client. */
export function currentClient(): DoveadmClient {
    return clientFor(undefined);
}

/**
 * The mailbox hierarchy separator of `server`, which check() needs without requiring the rest of its
 * settings: "/" unless one is set.
 */
export function separatorOf(server?: string): string {
    const valid = (value: unknown) => (typeof value === "string" && value.length === 1 ? value : undefined);
    const name = nameOf(server);
    if (name !== DEFAULT_SERVER) {
        try {
            return valid(named().get(name)?.separator) ?? "/";
        } catch {
            return "/"; // a malformed dovecot:servers fails with its own message where the server is used
        }
    }
    const { config, env } = SETTING_SOURCES.separator;
    return valid(source?.get(config) ?? process.env[env]) ?? "/";
}

/** The default server's separator. */
export function currentSeparator(): string {
    return separatorOf(undefined);
}
