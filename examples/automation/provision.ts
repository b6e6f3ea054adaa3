// Provision a user's IMAP folders from a service's own code with the Pulumi Automation API: one
// stack per user, an inline program that declares the folders, `up` on sign-up and `destroy` when the
// account is closed. See README.md beside this file for the settings it reads and why workDir matters.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import {
    LocalWorkspace,
    StackNotFoundError,
    type InlineProgramArgs,
    type LocalWorkspaceOptions,
    type OpMap,
    type Stack,
} from "@pulumi/pulumi/automation";
import * as dovecot from "pulumi-dovecot";

/** The Pulumi project that holds every user's stack. */
export const PROJECT_NAME = "dovecot-accounts";

/** One folder of a user's layout. */
export interface Folder {
    /** The full name, levels joined by the server's hierarchy separator (`Projects/2026`). */
    name: string;
    /** Whether the user is subscribed to it. Default true. */
    subscribed?: boolean;
    /**
     * Allow deleting it while it holds messages (they are expunged), when it is dropped from the layout
     * or the account is closed. Default false: such a folder is kept and the operation fails.
     */
    forceDestroy?: boolean;
}

/** Options of every operation. */
export interface AccountOptions {
    /**
     * The Pulumi workspace folder: Pulumi.yaml and each user's Pulumi.<stack>.yaml are written here,
     * and the CLI runs here. Node must resolve `pulumi-dovecot` and `@pulumi/pulumi` from it (its
     * node_modules, or a parent folder's). Default: the DOVECOT_ACCOUNTS_WORKDIR environment
     * variable, else the folder `accounts` beside the node_modules that this process loaded
     * pulumi-dovecot from.
     */
    workDir?: string;
    /** Receives the CLI's progress output. Default: written to stdout. */
    onOutput?: (text: string) => void;
    /** Aborts the operation (the CLI is interrupted and the stack stays as far as it got). */
    signal?: AbortSignal;
}

/** What `provisionUser` did. */
export interface ProvisionResult {
    /** The user's stack. */
    stack: string;
    /** Resource changes by operation (`create`, `same`, `update`, `delete`, ...). */
    changes: OpMap;
    /** Each declared folder's mailbox GUID, by folder name. */
    folders: Record<string, string>;
}

/**
 * The stack name of a user: the name with every character a stack name does not allow replaced by
 * `-`, and a hash of the exact name so that two users never share a stack.
 */
export function stackNameFor(user: string): string {
    const readable = user.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 60);
    const hash = createHash("sha256").update(user, "utf8").digest("hex").slice(0, 12);
    return `${readable}-${hash}`;
}

/** The default workDir (see `AccountOptions.workDir`). */
export function defaultWorkDir(): string {
    const fromEnv = process.env.DOVECOT_ACCOUNTS_WORKDIR;
    if (fromEnv) return path.resolve(fromEnv);
    // <app>/node_modules/pulumi-dovecot/package.json -> <app>/accounts
    const packageJson = require.resolve("pulumi-dovecot/package.json");
    return path.join(path.dirname(path.dirname(path.dirname(packageJson))), "accounts");
}

/**
 * Adds or changes a user's folders: `folders` is the user's whole managed layout, so a folder left
 * out that an earlier call declared is deleted (refused while it holds messages, unless it was
 * declared with `forceDestroy`). Running it again with the same layout changes nothing.
 */
export function provisionUser(
    user: string,
    folders: Array<string | Folder>,
    options: AccountOptions = {},
): Promise<ProvisionResult> {
    const layout = normalizeLayout(user, folders);
    return oneAtATime(async () => {
        const settings = readSettings(options);
        const stackName = stackNameFor(user);
        const args: InlineProgramArgs = {
            projectName: PROJECT_NAME,
            stackName,
            program: async () => {
                const guids: Record<string, pulumi.Output<string>> = {};
                for (const folder of layout) {
                    // The resource name is the folder name: unique and stable within the user's stack.
                    const mailbox = new dovecot.Mailbox(folder.name, {
                        user,
                        name: folder.name,
                        subscribed: folder.subscribed ?? true,
                        forceDestroy: folder.forceDestroy ?? false,
                    });
                    guids[folder.name] = mailbox.guid;
                }
                return { user, folders: guids };
            },
        };
        return redacting(settings, async () => {
            const stack = await LocalWorkspace.createOrSelectStack(args, settings.workspace);
            await setServerConfig(stack, settings);
            const result = await stack.up({ onOutput: settings.onOutput, signal: options.signal });
            return {
                stack: stackName,
                changes: result.summary.resourceChanges ?? {},
                folders: (result.outputs.folders?.value ?? {}) as Record<string, string>,
            };
        });
    });
}

/**
 * Deletes a user's folders and then the user's stack. Resolves false when the user has no stack.
 * A folder that holds messages is not deleted unless it was declared with `forceDestroy`: then the
 * destroy fails, the stack is kept (with whatever is left), and a later call can finish the job.
 */
export function closeAccount(user: string, options: AccountOptions = {}): Promise<boolean> {
    return oneAtATime(async () => {
        const settings = readSettings(options);
        const stackName = stackNameFor(user);
        let stack: Stack;
        try {
            // destroy does not run the program: the folders to delete come from the stack's state.
            stack = await LocalWorkspace.selectStack(
                { projectName: PROJECT_NAME, stackName, program: async () => ({}) },
                settings.workspace,
            );
        } catch (error) {
            if (error instanceof StackNotFoundError) return false;
            throw error;
        }
        return redacting(settings, async () => {
            // The server settings of now (the key may have been rotated since the folders were made).
            await setServerConfig(stack, settings);
            await stack.destroy({ onOutput: settings.onOutput, signal: options.signal });
            // `pulumi stack rm` without --force: it refuses a stack that still has resources.
            await stack.workspace.removeStack(stackName);
            return true;
        });
    });
}

interface Settings {
    endpoint: string;
    apiKey: string;
    onOutput: (text: string) => void;
    workspace: LocalWorkspaceOptions;
}

/** The settings of one operation, from the options and the service's environment. */
function readSettings(options: AccountOptions): Settings {
    const env = process.env;
    const missing = ["DOVEADM_ENDPOINT", "DOVEADM_API_KEY"].filter((name) => !env[name]);
    if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE)
        missing.push("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)");
    if (missing.length > 0)
        throw new Error(`set ${missing.join(", ")} in the environment (see examples/automation/README.md)`);

    const workDir = path.resolve(options.workDir ?? defaultWorkDir());
    mkdirSync(workDir, { recursive: true });
    for (const name of ["pulumi-dovecot", "@pulumi/pulumi"]) {
        try {
            require.resolve(`${name}/package.json`, { paths: [workDir] });
        } catch {
            throw new Error(
                `${name} cannot be resolved from the workDir ${workDir}: the dynamic provider process ` +
                    `loads it from there. Run \`npm install pulumi-dovecot @pulumi/pulumi\` in that folder ` +
                    `(or a parent), or set workDir to a folder that has them in node_modules.`,
            );
        }
    }

    // The backend: PULUMI_BACKEND_URL from the environment, else a file backend inside workDir.
    const envVars: Record<string, string> = {};
    if (!env.PULUMI_BACKEND_URL) {
        const stateDir = path.join(workDir, "state");
        if (!existsSync(stateDir)) mkdirSync(stateDir, { recursive: true });
        envVars.PULUMI_BACKEND_URL = `file://${stateDir}`;
    }
    // A service has no use for the CLI's update check (a network call on every command).
    if (!env.PULUMI_SKIP_UPDATE_CHECK) envVars.PULUMI_SKIP_UPDATE_CHECK = "true";

    return {
        endpoint: env.DOVEADM_ENDPOINT as string,
        apiKey: env.DOVEADM_API_KEY as string,
        onOutput: options.onOutput ?? ((text) => process.stdout.write(text)),
        workspace: {
            workDir,
            projectSettings: { name: PROJECT_NAME, runtime: "nodejs" },
            secretsProvider: "passphrase",
            envVars,
        },
    };
}

/**
 * Sets the server's endpoint and, as a secret (encrypted with the passphrase in Pulumi.<stack>.yaml),
 * its API key. The Automation API passes the values to `pulumi config set-all` as arguments, and an
 * error of that command quotes its whole command line: so the key is taken out of every error.
 */
async function setServerConfig(stack: Stack, settings: Settings): Promise<void> {
    await stack.setAllConfig({
        "dovecot:endpoint": { value: settings.endpoint },
        "dovecot:apiKey": { value: settings.apiKey, secret: true },
    });
}

/** Runs an operation with the API key removed from any error it throws. */
async function redacting<T>(settings: Settings, operation: () => Promise<T>): Promise<T> {
    try {
        return await operation();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!message.includes(settings.apiKey)) throw error;
        throw new Error(message.split(settings.apiKey).join("[secret]"));
    }
}

/** Checks a layout and fills in its defaults. */
function normalizeLayout(user: string, folders: Array<string | Folder>): Folder[] {
    if (!user.trim()) throw new Error("the user name is empty");
    const layout = folders.map((folder) => (typeof folder === "string" ? { name: folder } : folder));
    const seen = new Set<string>();
    for (const folder of layout) {
        if (!folder.name) throw new Error(`a folder of ${user} has an empty name`);
        if (seen.has(folder.name)) throw new Error(`folder ${JSON.stringify(folder.name)} is listed twice`);
        seen.add(folder.name);
    }
    return layout;
}

// Operations run one at a time within this process: each one rewrites workDir's Pulumi.yaml, and the
// inline programs of one process share the SDK's runtime state.
let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(operation: () => Promise<T>): Promise<T> {
    const result = queue.then(operation, operation);
    queue = result.catch(() => undefined);
    return result;
}
