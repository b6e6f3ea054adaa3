// The provider process's connections: the settings handed to configure() (or the environment), and one
// client per server, shared by every resource the process handles so that they share its limits. The
// default server is the top-level settings (dovecot:endpoint, ...); named ones are dovecot:servers.<name>.
import { DoveadmClient } from "./client/client";
import { reportClientProgress } from "./progress";
import {
    ConnectionSettings,
    DEFAULT_SERVER,
    SERVERS_SOURCE,
    SETTING_SOURCES,
    SettingsError,
    SettingsSource,
    apiUrl,
    resolveServer,
    resolveSettings,
    serverEntries,
} from "./settings";

/** The servers of one settings source, and one client per server. */
export class Connections {
    private readonly clients = new Map<string, DoveadmClient>();
    private entries: Map<string, Record<string, unknown>> | undefined;

    constructor(private readonly source: SettingsSource | undefined) {}

    /** The named servers' raw settings (parsed once; a malformed value throws each time it is asked for). */
    private named(): Map<string, Record<string, unknown>> {
        this.entries ??= serverEntries(this.source);
        return this.entries;
    }

    /**
     * Checks the named servers' settings, every one of them: a malformed `dovecot:servers` stops the run
     * even when no resource names a server. Throws the SettingsError naming what to fix.
     */
    checkNamed(): void {
        for (const [name, entry] of this.named()) resolveServer(name, entry);
    }

    /** True when the configuration (or the environment) gives the default server an endpoint. */
    private defaultConfigured(): boolean {
        const { config, env } = SETTING_SOURCES.endpoint;
        const value = this.source?.get(config);
        return (value !== undefined && value !== "") || (process.env[env] ?? "") !== "";
    }

    /** The names of the servers the configuration knows: `default` (when configured) and the named ones. */
    knownServers(): string[] {
        const names = [...this.named().keys()].sort();
        return this.defaultConfigured() ? [DEFAULT_SERVER, ...names] : names;
    }

    /**
     * Why `server` is not a server of this configuration, for check(); undefined when it is. The
     * default server is always accepted here: a missing default fails with its own advice when used.
     */
    unknownServer(server: string | undefined): string | undefined {
        if (server === undefined || server === DEFAULT_SERVER) return undefined;
        let servers: Map<string, Record<string, unknown>>;
        try {
            servers = this.named();
        } catch (error) {
            if (error instanceof SettingsError) return error.message;
            throw error;
        }
        if (servers.has(server)) return undefined;
        const known = this.knownServers();
        return (
            `server ${JSON.stringify(server)} is not configured; ` +
            (known.length > 0
                ? `the configured servers are ${known.map((n) => JSON.stringify(n)).join(", ")}. `
                : "no server is configured. ") +
            `Fix the name, or configure it: pulumi config set --path '${SERVERS_SOURCE.config}.${server}.endpoint' <url> && pulumi config set --secret --path '${SERVERS_SOURCE.config}.${server}.apiKey' <key>`
        );
    }

    private settingsOf(name: string): ConnectionSettings {
        if (name === DEFAULT_SERVER) {
            try {
                return resolveSettings(this.source);
            } catch (error) {
                // With named servers configured, the likelier fix is naming one of them.
                const others = error instanceof SettingsError ? [...this.named().keys()] : [];
                if (others.length > 0 && !this.defaultConfigured()) {
                    throw new SettingsError(
                        `${(error as SettingsError).message} Or set \`server\` on the resource to one of the configured servers: ${others.map((n) => JSON.stringify(n)).join(", ")}.`,
                        (error as SettingsError).settings,
                    );
                }
                throw error;
            }
        }
        const entry = this.named().get(name);
        if (!entry)
            throw new SettingsError(this.unknownServer(name) ?? `server ${name} is not configured`, [name]);
        return resolveServer(name, entry);
    }

    /** The client of `server` (absent: the default server); throws a SettingsError naming what is missing. */
    clientFor(server?: string): DoveadmClient {
        const name = server ?? DEFAULT_SERVER;
        let client = this.clients.get(name);
        if (!client) {
            const settings = this.settingsOf(name);
            if (settings.insecureSkipVerify) {
                console.warn(
                    `pulumi-dovecot: TLS certificate verification is OFF for ${new URL(settings.endpoint).origin} ` +
                        `(${name === DEFAULT_SERVER ? "dovecot:insecureSkipVerify" : `${SERVERS_SOURCE.config}.${name}.insecureSkipVerify`}). ` +
                        "Anyone on the path can read the credentials; use caCert instead.",
                );
            }
            client = new DoveadmClient(settings);
            this.clients.set(name, client);
            // What the client does (retries, splits) is told to the engine from now on.
            reportClientProgress();
        }
        return client;
    }

    /**
     * What `server` is, for telling servers apart whatever a program names them: its endpoint as
     * normalized (the API URL, host in lower case, default port left out), or `server:<name>` when no
     * usable endpoint is configured. Never a credential: a URL holding one has it removed.
     */
    identity(server?: string): string {
        const name = server ?? DEFAULT_SERVER;
        let endpoint: unknown;
        if (name === DEFAULT_SERVER) {
            const { config, env } = SETTING_SOURCES.endpoint;
            const value = this.source?.get(config);
            endpoint = value !== undefined && value !== "" ? value : process.env[env];
        } else {
            try {
                endpoint = this.named().get(name)?.endpoint;
            } catch {
                endpoint = undefined;
            }
        }
        if (typeof endpoint === "string" && endpoint.trim() !== "") {
            try {
                const url = new URL(apiUrl(endpoint.trim()));
                url.username = "";
                url.password = "";
                return url.href;
            } catch {
                // not a URL: the name stands for it
            }
        }
        return `server:${name}`;
    }

    /**
     * The mailbox hierarchy separator of `server`, which check() needs without requiring the rest of
     * its settings: "/" unless one is set.
     */
    separatorOf(server?: string): string {
        const valid = (value: unknown) =>
            typeof value === "string" && value.length === 1 ? value : undefined;
        const name = server ?? DEFAULT_SERVER;
        if (name !== DEFAULT_SERVER) {
            try {
                return valid(this.named().get(name)?.separator) ?? "/";
            } catch {
                return "/"; // a malformed dovecot:servers fails with its own message where the server is used
            }
        }
        const { config, env } = SETTING_SOURCES.separator;
        return valid(this.source?.get(config) ?? process.env[env]) ?? "/";
    }
}

/** The provider process's connections, from the configuration given to configure(). */
let current = new Connections(undefined);

/** Records the stack configuration given to the dynamic provider's configure(). */
export function configureConnection(config: SettingsSource | undefined): void {
    current = new Connections(config);
}

/** The provider process's connections (what configure() was given). */
export function currentConnections(): Connections {
    return current;
}

/** The names of the configured servers (see Connections.knownServers). */
export function knownServers(): string[] {
    return current.knownServers();
}

/** Why `server` is not configured, or undefined (see Connections.unknownServer). */
export function unknownServer(server: string | undefined): string | undefined {
    return current.unknownServer(server);
}

/** The client of `server` (absent: the default server). */
export function clientFor(server?: string): DoveadmClient {
    return current.clientFor(server);
}

/** The default server's client. */
export function currentClient(): DoveadmClient {
    return current.clientFor(undefined);
}

/** What `server` is: its normalized endpoint (see Connections.identity). */
export function serverIdentity(server?: string): string {
    return current.identity(server);
}

/** The mailbox hierarchy separator of `server`. */
export function separatorOf(server?: string): string {
    return current.separatorOf(server);
}

/** The default server's separator. */
export function currentSeparator(): string {
    return current.separatorOf(undefined);
}
