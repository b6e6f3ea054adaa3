// pulumi-dovecot: Dovecot IMAP folders, subscriptions and reloads as Pulumi resources, over the
// doveadm HTTP API. The client is exported too, for users' own scripts.
export * from "./kinds/all";
export * from "./lookups";
export {
    DoveadmClient,
    MailboxStatus,
    ClientHooks,
    STATUS_FIELDS,
    REQUIRED_DOVEADM_COMMANDS,
    AclEntry,
    QuotaUsage,
    SieveScriptInfo,
    ACL_RIGHTS,
    CreateOrder,
    CreateResult,
    RemoveOrder,
    RemoveResult,
    UserSnapshot,
    UserCommands,
} from "./client/client";
export { DovecotVersion, ServerLogLine, ServerProfile } from "./client/commands";
export { CommandInfo } from "./client/transport";
export * from "./client/errors";
export { RetryPolicy, DEFAULT_RETRY_POLICY } from "./client/retry";
export {
    ConnectionSettings,
    SettingsError,
    resolveSettings,
    resolveServer,
    serverEntries,
    SETTING_SOURCES,
    SERVERS_SOURCE,
    DEFAULT_SERVER,
    SettingName,
    SettingSource,
    SettingsSource,
} from "./settings";
export { mailboxNameProblem, userProblem, isInbox } from "./names";
