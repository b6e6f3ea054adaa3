// The client facade: the few operations the resource handlers need, each one line down to the
// scheduler (per-user order, merging, shared snapshots), plus the raw typed commands for users' own
// scripts. Layers, top to bottom: client.ts → scheduler.ts (queue.ts) → commands.ts → transport.ts
// (limiter.ts, retry.ts, redact.ts); errors.ts is shared. A call enters each layer once, going down.
import { createHash } from "node:crypto";
import { ConnectionSettings, authorizationHeader } from "../settings";
import {
    CommandTarget,
    MailboxStatus,
    ServerLogLine,
    ServerProfile,
    UserSnapshot,
    configProcesses,
    listCommands,
    logErrors,
    reload,
    userList,
    userLookup,
} from "./commands";
import { DoveadmError } from "./errors";
import * as plugins from "./plugins";
import { AclEntry, QuotaUsage, SieveScriptInfo } from "./plugins";
import { credentialForms } from "./redact";
import { DEFAULT_RETRY_POLICY, RetryPolicy } from "./retry";
import {
    CreateOrder,
    CreateResult,
    RemoveOrder,
    RemoveResult,
    Scheduler,
    mailboxNotEmpty,
} from "./scheduler";
import { CommandInfo, Transport, resetGates } from "./transport";
import { UserInfo } from "./userdb";

export {
    DovecotVersion,
    MailboxStatus,
    REQUIRED_DOVEADM_COMMANDS,
    STATUS_FIELDS,
    ServerLogLine,
    ServerProfile,
    UserSnapshot,
} from "./commands";
export { CreateOrder, CreateResult, RemoveOrder, RemoveResult } from "./scheduler";
export { AclEntry, QuotaUsage, SieveScriptInfo, ACL_RIGHTS } from "./plugins";
export { UserInfo } from "./userdb";

/** Hooks for observing the client (counting requests in benchmarks and tests). */
export interface ClientHooks {
    /** Called before every HTTP request with its command. */
    onRequest?: (command: string) => void;
    /** Called before every retry. */
    onRetry?: (error: DoveadmError, attempt: number, delayMs: number) => void;
}

/**
 * The plugin commands of one user, sent as they are called: for use inside that user's turn (see
 * DoveadmClient.inUserTurn), where nothing else of the user's runs meanwhile.
 */
export class UserCommands {
    /** @internal Made by DoveadmClient.inUserTurn for the turn it runs. */
    constructor(
        private readonly target: CommandTarget,
        /** The user every command is about. */
        readonly user: string,
    ) {}

    /** The user's Sieve scripts and which one is active. */
    sieveList(): Promise<SieveScriptInfo[]> {
        return plugins.sieveList(this.target, this.user);
    }

    /** The text of one Sieve script, or undefined when the user has none of that name. */
    sieveGet(name: string): Promise<string | undefined> {
        return plugins.sieveGet(this.target, this.user, name);
    }

    /** Stores a Sieve script (exit 65 if it does not compile: nothing is stored then); `activate` makes it active. */
    sievePut(name: string, script: string, options: { activate: boolean }): Promise<void> {
        return plugins.sievePut(this.target, this.user, name, script, options);
    }

    /** Makes a Sieve script the user's active one. */
    sieveActivate(name: string): Promise<void> {
        return plugins.sieveActivate(this.target, this.user, name);
    }

    /** Leaves the user with no active Sieve script. */
    sieveDeactivate(): Promise<void> {
        return plugins.sieveDeactivate(this.target, this.user);
    }

    /** Renames a Sieve script (an active one stays active). */
    sieveRename(from: string, to: string): Promise<void> {
        return plugins.sieveRename(this.target, this.user, from, to);
    }

    /** Deletes a Sieve script; the active one only with `ignoreActive`. */
    sieveDelete(name: string, options: { ignoreActive: boolean }): Promise<void> {
        return plugins.sieveDelete(this.target, this.user, name, options);
    }

    /** A mailbox's ACL entries. */
    aclGet(mailbox: string): Promise<AclEntry[]> {
        return plugins.aclGet(this.target, this.user, mailbox);
    }

    /** Sets one identifier's rights on a mailbox. */
    aclSet(mailbox: string, id: string, rights: readonly string[]): Promise<void> {
        return plugins.aclSet(this.target, this.user, mailbox, id, rights);
    }

    /** Removes one identifier's entry from a mailbox's ACL. */
    aclDelete(mailbox: string, id: string): Promise<void> {
        return plugins.aclDelete(this.target, this.user, mailbox, id);
    }

    /** One METADATA entry's value, "" when unset; mailbox "" is the user level. */
    metadataGet(mailbox: string, key: string): Promise<string> {
        return plugins.metadataGet(this.target, this.user, mailbox, key);
    }

    /** Sets one METADATA entry. */
    metadataSet(mailbox: string, key: string, value: string): Promise<void> {
        return plugins.metadataSet(this.target, this.user, mailbox, key, value);
    }

    /** Removes one METADATA entry. */
    metadataUnset(mailbox: string, key: string): Promise<void> {
        return plugins.metadataUnset(this.target, this.user, mailbox, key);
    }

    /** The user's quota usage and limits. */
    quotaGet(): Promise<QuotaUsage[]> {
        return plugins.quotaGet(this.target, this.user);
    }
}

/** One scheduler per endpoint, credential and settings, shared by every client of the process. */
const schedulers = new Map<string, Scheduler>();

/** Forgets remembered fatal errors, limits and queues (for tests that fix the server and go on). */
export function resetEndpointState(): void {
    schedulers.clear();
    resetGates();
}

/** A client for one doveadm HTTP API endpoint. */
export class DoveadmClient {
    private readonly transport: Transport;
    private readonly target: CommandTarget;
    private readonly scheduler: Scheduler;

    /**
     * A client for the server these settings describe (resolveSettings or resolveServer makes them).
     * @param settings the server's validated settings, kept as `settings`
     */
    constructor(
        readonly settings: ConnectionSettings,
        hooks: ClientHooks = {},
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) {
        this.transport = new Transport({
            url: settings.endpoint,
            authorization: authorizationHeader(settings),
            timeoutMs: settings.timeoutMs,
            caCert: settings.caCert,
            insecureSkipVerify: settings.insecureSkipVerify,
            maxConcurrency: settings.maxConcurrency,
            credentialForms: credentialForms(settings),
            retry: policy,
            hooks,
        });
        this.target = { transport: this.transport, separator: settings.separator };
        // Every client of the same endpoint, settings and retry policy queues behind the same per-user
        // turns. A client with hooks (tests, the benchmark) observes its own requests, so it gets its
        // own scheduler.
        if (Object.keys(hooks).length > 0) this.scheduler = new Scheduler(this.target);
        else {
            const key = createHash("sha256")
                .update(JSON.stringify([settings, policy]))
                .digest("hex");
            this.scheduler = schedulers.get(key) ?? new Scheduler(this.target);
            schedulers.set(key, this.scheduler);
        }
    }

    /** The endpoint's origin, safe to show. */
    get origin(): string {
        return this.transport.origin;
    }

    /** The server's profile (its Dovecot version), asked once per client. */
    profile(): Promise<ServerProfile> {
        return this.scheduler.profile();
    }

    // ---- What the resource handlers use: one mailbox each, merged with the user's other operations. ----

    /** Status of one mailbox by exact name, or undefined when it is not a mailbox. */
    findStatus(user: string, name: string): Promise<MailboxStatus | undefined> {
        return this.scheduler.status(user, name);
    }

    /** Creates one mailbox and returns its status as read back; DOVEADM_MAILBOX_EXISTS if the name is taken. */
    async createMailbox(user: string, name: string): Promise<MailboxStatus> {
        return (await this.scheduler.create(user, { name })).status;
    }

    /**
     * Creates one mailbox as the order says (a GUID, its subscription, which existing mailbox may be
     * taken instead), in one request with the user's other creates.
     */
    createOrTake(user: string, order: CreateOrder): Promise<CreateResult> {
        return this.scheduler.create(user, order);
    }

    /** Deletes one mailbox by name, never recursively; with `requireEmpty`, not one that holds messages. */
    async deleteMailbox(user: string, name: string, options: { requireEmpty: boolean }): Promise<void> {
        await this.scheduler.remove(user, {
            name,
            requireEmpty: options.requireEmpty,
            unsubscribe: false,
            refuse: (found, messages) =>
                mailboxNotEmpty(
                    user,
                    found,
                    messages,
                    "Move the messages elsewhere first, or allow deleting them (forceDestroy: true) and run again.",
                ),
        });
    }

    /**
     * Deletes one mailbox as the order says (found by GUID, unsubscribed in the same request), in one
     * request with the user's other deletes; says what it deleted, if anything.
     */
    remove(user: string, order: RemoveOrder): Promise<RemoveResult> {
        return this.scheduler.remove(user, order);
    }

    /** Subscribes (or unsubscribes) one name. */
    setSubscribed(user: string, name: string, subscribed: boolean): Promise<void> {
        return this.scheduler.subscribe(user, name, subscribed);
    }

    /**
     * Renames mailboxes (and their children) in one request, in order; each one's error, or undefined
     * for one done (see Scheduler.renameAll).
     */
    renameMailboxes(
        user: string,
        renames: ReadonlyArray<{ from: string; to: string; guid?: string }>,
    ): Promise<Array<DoveadmError | undefined>> {
        return this.scheduler.renameAll(user, renames);
    }

    /** Renames a mailbox (and its children); with `guid`, a lost answer is verified against it. */
    renameMailbox(user: string, from: string, to: string, options: { guid?: string } = {}): Promise<void> {
        return this.scheduler.rename(user, from, to, options.guid);
    }

    /**
     * Every mailbox's status and the subscription list of a user, in one request. A snapshot asked
     * for in the last `maxAgeMs` is reused unless a write for the user was queued since.
     */
    snapshot(user: string, maxAgeMs = 10_000): Promise<UserSnapshot> {
        return this.scheduler.snapshot(user, maxAgeMs);
    }

    /** Asks Dovecot to reload its configuration. It answers at once and reloads after. */
    reload(): Promise<void> {
        return reload(this.target);
    }

    /** The ids of Dovecot's config processes, which a reload that loads replaces (see Reload). */
    configProcesses(): Promise<string[]> {
        return configProcesses(this.target);
    }

    /** The server's recent errors and warnings (needs `log errors` allowed; 2.3 lists no master lines). */
    logErrors(): Promise<ServerLogLine[]> {
        return logErrors(this.target);
    }

    /** The commands the server offers; also a cheap check that the API answers. */
    commands(): Promise<CommandInfo[]> {
        return listCommands(this.target);
    }

    // ---- The user database (not a mail command: no user's turn). ----

    /**
     * The names of the users the user database lists that match `mask` (`*`, `?`; letter case
     * ignored), possibly none; DOVEADM_USERDB_NO_ITERATION when the user database cannot list them.
     */
    listUsers(mask: string): Promise<string[]> {
        return userList(this.target, mask);
    }

    /** One user's userdb fields, password-like ones dropped; undefined when the user database does not know the user. */
    getUser(user: string): Promise<UserInfo | undefined> {
        return userLookup(this.target, user);
    }

    // ---- Plugins (Sieve, ACL, METADATA, quota), in the user's turn. ----

    /**
     * Runs `work` in the user's turn: nothing else of the user's runs until it is done, so what it
     * reads stays true while it writes (a list, then a put; a get, then a set).
     */
    inUserTurn<T>(user: string, label: string, work: (commands: UserCommands) => Promise<T>): Promise<T> {
        return this.scheduler.inTurn(user, label, () => work(new UserCommands(this.target, user)));
    }

    /** The user's Sieve scripts and which one is active. */
    sieveList(user: string): Promise<SieveScriptInfo[]> {
        return this.inUserTurn(user, "sieveList", (c) => c.sieveList());
    }

    /** The text of one Sieve script, or undefined when the user has none of that name. */
    sieveGet(user: string, name: string): Promise<string | undefined> {
        return this.inUserTurn(user, "sieveGet", (c) => c.sieveGet(name));
    }

    /** Stores a Sieve script (exit 65 if it does not compile: nothing is stored then); `activate` makes it active. */
    sievePut(user: string, name: string, script: string, options: { activate: boolean }): Promise<void> {
        return this.inUserTurn(user, "sievePut", (c) => c.sievePut(name, script, options));
    }

    /** Makes a Sieve script the user's active one. */
    sieveActivate(user: string, name: string): Promise<void> {
        return this.inUserTurn(user, "sieveActivate", (c) => c.sieveActivate(name));
    }

    /** Leaves the user with no active Sieve script. */
    sieveDeactivate(user: string): Promise<void> {
        return this.inUserTurn(user, "sieveDeactivate", (c) => c.sieveDeactivate());
    }

    /** Renames a Sieve script (an active one stays active). */
    sieveRename(user: string, from: string, to: string): Promise<void> {
        return this.inUserTurn(user, "sieveRename", (c) => c.sieveRename(from, to));
    }

    /** Deletes a Sieve script; the active one only with `ignoreActive`. */
    sieveDelete(user: string, name: string, options: { ignoreActive: boolean }): Promise<void> {
        return this.inUserTurn(user, "sieveDelete", (c) => c.sieveDelete(name, options));
    }

    /** A mailbox's ACL entries. */
    aclGet(user: string, mailbox: string): Promise<AclEntry[]> {
        return this.inUserTurn(user, "aclGet", (c) => c.aclGet(mailbox));
    }

    /** Sets one identifier's rights on a mailbox. */
    aclSet(user: string, mailbox: string, id: string, rights: readonly string[]): Promise<void> {
        return this.inUserTurn(user, "aclSet", (c) => c.aclSet(mailbox, id, rights));
    }

    /** Removes one identifier's entry from a mailbox's ACL. */
    aclDelete(user: string, mailbox: string, id: string): Promise<void> {
        return this.inUserTurn(user, "aclDelete", (c) => c.aclDelete(mailbox, id));
    }

    /** One METADATA entry's value, "" when unset; mailbox "" is the user level. */
    metadataGet(user: string, mailbox: string, key: string): Promise<string> {
        return this.inUserTurn(user, "metadataGet", (c) => c.metadataGet(mailbox, key));
    }

    /** Sets one METADATA entry. */
    metadataSet(user: string, mailbox: string, key: string, value: string): Promise<void> {
        return this.inUserTurn(user, "metadataSet", (c) => c.metadataSet(mailbox, key, value));
    }

    /** Removes one METADATA entry. */
    metadataUnset(user: string, mailbox: string, key: string): Promise<void> {
        return this.inUserTurn(user, "metadataUnset", (c) => c.metadataUnset(mailbox, key));
    }

    /** The user's quota usage and limits. */
    quotaGet(user: string): Promise<QuotaUsage[]> {
        return this.inUserTurn(user, "quotaGet", (c) => c.quotaGet());
    }

    // ---- The raw commands, each alone in its user's turn, for users' own scripts. ----

    /**
     * Creates mailboxes. With `guid`, the (single) new mailbox gets that GUID. Beware: Dovecot 2.3
     * writes the GUID into an existing mailbox of that name even while refusing to create it.
     */
    async mailboxCreate(user: string, names: string[], options: { guid?: string } = {}): Promise<void> {
        await this.scheduler.exclusive(user, { command: "mailboxCreate", names, guid: options.guid });
    }

    /** Deletes mailboxes, never recursively; with `requireEmpty` one with messages is refused (65). */
    async mailboxDelete(user: string, names: string[], options: { requireEmpty: boolean }): Promise<void> {
        await this.scheduler.exclusive(user, { command: "mailboxDelete", names, ...options });
    }

    /** Renames a mailbox (and its children). Subscriptions are left to the caller. */
    async mailboxRename(
        user: string,
        from: string,
        to: string,
        options: { guid?: string } = {},
    ): Promise<void> {
        await this.scheduler.exclusive(user, { command: "mailboxRename", from, to, guid: options.guid });
    }

    /** Subscribes to mailboxes (they need not exist). Idempotent. */
    async mailboxSubscribe(user: string, names: string[]): Promise<void> {
        await this.scheduler.exclusive(user, { command: "mailboxSubscribe", names });
    }

    /** Unsubscribes from mailboxes. Idempotent. */
    async mailboxUnsubscribe(user: string, names: string[]): Promise<void> {
        await this.scheduler.exclusive(user, { command: "mailboxUnsubscribe", names });
    }

    /** Status of the mailboxes matching the masks (`*` and `%` are wildcards). Exit 68 if none match. */
    mailboxStatus(user: string, masks: string[]): Promise<MailboxStatus[]> {
        return this.scheduler.exclusive(user, { command: "mailboxStatus", masks });
    }

    /**
     * Names of a user's mailboxes (with `subscribed`, the subscription list instead, which may name
     * mailboxes that do not exist). Beware: an exact mask is echoed back even when nothing matches.
     */
    mailboxList(user: string, options: { masks?: string[]; subscribed?: boolean } = {}): Promise<string[]> {
        return this.scheduler.exclusive(user, { command: "mailboxList", ...options });
    }

    /** Status of every mailbox of a user, even when a listed parent is not a mailbox. */
    statusAll(user: string): Promise<MailboxStatus[]> {
        return this.scheduler.exclusive(user, { command: "statusAll" });
    }

    /** Closes the client's connections. */
    async close(): Promise<void> {
        await this.transport.close();
    }
}
