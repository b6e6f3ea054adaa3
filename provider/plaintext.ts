// Credentials kept in the stack's configuration file in plain text. `pulumi config set --path
// 'dovecot:servers.b1.apiKey' <key>` without `--secret` writes the key into Pulumi.<stack>.yaml as it
// is, next to the code, and nothing in what the engine hands a provider tells a plain value from an
// encrypted one (a structured value is marked secret as a whole when any part of it is). So the stack's
// file itself is read: a credential there that is not `secure:` is named, with the command that
// encrypts it. The value is never read into a message.
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { SERVERS_SOURCE, SETTING_SOURCES } from "./settings";

/** The settings that are credentials. */
const CREDENTIALS = ["apiKey", "password"] as const;

/** A credential stored in plain text, and where. */
export interface PlainCredential {
    /** Its configuration key, with `--path` syntax for a named server's (`dovecot:servers.b1.apiKey`). */
    key: string;
    /** The stack's configuration file that holds it. */
    file: string;
}

/** True for a value the stack file holds encrypted (`secure: ...`). */
function encrypted(value: unknown): boolean {
    return typeof value === "object" && value !== null && "secure" in value;
}

/** The file that holds `stack`'s configuration, for a project in `projectDir` (see `stackConfigDir`). */
function stackFile(projectDir: string, stack: string): string | undefined {
    let configDir = "";
    for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
        try {
            const project = load(fs.readFileSync(path.join(projectDir, name), "utf8")) as {
                stackConfigDir?: unknown;
            } | null;
            if (typeof project?.stackConfigDir === "string") configDir = project.stackConfigDir;
            break;
        } catch {
            // no such project file
        }
    }
    // A fully qualified stack name (`org/project/dev`) keeps its configuration under its last part.
    const short = stack.split("/").pop() ?? stack;
    for (const ext of ["yaml", "yml"]) {
        const file = path.join(projectDir, configDir, `Pulumi.${short}.${ext}`);
        if (fs.existsSync(file)) return file;
    }
    return undefined;
}

/**
 * The credentials of this package's settings that the configuration file of `stack` (in the project
 * folder `projectDir`) holds in plain text. Empty when there is no such file or it cannot be read.
 */
export function plainCredentials(projectDir: string, stack: string): PlainCredential[] {
    const file = stackFile(projectDir, stack);
    if (!file) return [];
    let config: Record<string, unknown>;
    try {
        const doc = load(fs.readFileSync(file, "utf8")) as { config?: unknown } | null;
        if (typeof doc?.config !== "object" || doc.config === null) return [];
        config = doc.config as Record<string, unknown>;
    } catch {
        return [];
    }
    const found: PlainCredential[] = [];
    const shown = path.basename(file);
    for (const name of CREDENTIALS) {
        const key = SETTING_SOURCES[name].config;
        const value = config[key];
        if (typeof value === "string" && value !== "") found.push({ key, file: shown });
    }
    const servers = config[SERVERS_SOURCE.config];
    if (typeof servers === "object" && servers !== null && !encrypted(servers)) {
        for (const [server, entry] of Object.entries(servers)) {
            if (typeof entry !== "object" || entry === null) continue;
            for (const name of CREDENTIALS) {
                const value = (entry as Record<string, unknown>)[name];
                if (value !== undefined && value !== null && value !== "" && !encrypted(value))
                    found.push({ key: `${SERVERS_SOURCE.config}.${server}.${name}`, file: shown });
            }
        }
    }
    return found;
}

/** The warning for one credential in plain text, with the command that encrypts it. */
export function plainCredentialWarning(credential: PlainCredential): string {
    const named = credential.key.startsWith(`${SERVERS_SOURCE.config}.`);
    const command = named
        ? `pulumi config set --secret --path '${credential.key}' <value>`
        : `pulumi config set --secret ${credential.key} <value>`;
    return (
        `${credential.key} is in the stack's configuration file (${credential.file}) in plain text, readable by ` +
        `anyone who can read that file or the repository it is in. Encrypt it: ${command}`
    );
}
