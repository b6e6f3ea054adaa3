// The provider process's connection: the settings handed to configure() (or the environment), and one
// client per settings, shared by every resource the process handles so they share its limits.
import { DoveadmClient } from "./client/client";
import { ConnectionSettings, SETTING_SOURCES, SettingsSource, resolveSettings } from "./settings";

let source: SettingsSource | undefined;
let cached: { settings: ConnectionSettings; client: DoveadmClient } | undefined;

/** Records the stack configuration given to the dynamic provider's configure(). */
export function configureConnection(config: SettingsSource | undefined): void {
    source = config;
    cached = undefined;
}

/** The client for the configured settings; throws a SettingsError naming what is missing. */
export function currentClient(): DoveadmClient {
    if (!cached) {
        const settings = resolveSettings(source);
        if (settings.insecureSkipVerify) {
            console.warn(
                `pulumi-dovecot: TLS certificate verification is OFF for ${new URL(settings.endpoint).origin} ` +
                    "(dovecot:insecureSkipVerify). Anyone on the path can read the credentials; use dovecot:caCert instead.",
            );
        }
        cached = { settings, client: new DoveadmClient(settings) };
    }
    return cached.client;
}

/** The mailbox hierarchy separator, which check() needs without requiring the rest of the settings. */
export function currentSeparator(): string {
    const { config, env } = SETTING_SOURCES.separator;
    const value = source?.get(config) ?? process.env[env];
    return value !== undefined && value.length === 1 ? value : "/";
}
