// What released versions wrote into users' state: public API, which every later version must keep
// loading (see docs/guides/upgrades.md). A dynamic resource's state holds its provider
// object as serialized JavaScript: installed under node_modules, a `require` of one of the paths below;
// from a checkout, the object's own text, which names a dispatcher key (`mailbox`) and loads
// `pulumi-dovecot/dispatcher` (0.2) or `pulumi-dovecot/host` (0.1). This folder keeps those paths and
// keys, and this table says which release wrote which; nothing else in the code names them.

/** One path that a release wrote into state, and what it stands for. */
export interface StatePath {
    /** The module path, as `require` in the state names it. */
    path: string;
    /** The release that began writing it. */
    release: string;
    /** What it is: the provider object of a kind (by its name), or the dispatcher. */
    stands: string;
}

/**
 * The dispatcher keys of released provider objects: the kind each stands for, and its module here,
 * loaded by a literal path so that a bundler (the plugin's executable) finds it.
 */
const RELEASED: Readonly<Record<string, { kind: string; load: () => object }>> = {
    mailbox: { kind: "Mailbox", load: () => require("./mailbox") as object },
    subscription: { kind: "Subscription", load: () => require("./subscription") as object },
    reload: { kind: "Reload", load: () => require("./reload") as object },
    folders: { kind: "FolderSet", load: () => require("./folders") as object },
    sieve: { kind: "SieveScript", load: () => require("./sieve") as object },
    acl: { kind: "MailboxAcl", load: () => require("./acl") as object },
    metadata: { kind: "MailboxMetadata", load: () => require("./metadata") as object },
};

/** The dispatcher keys of released provider objects, by the kind each stands for. */
export const LEGACY_KEYS: Readonly<Record<string, string>> = Object.fromEntries(
    Object.entries(RELEASED).map(([key, { kind }]) => [key, kind]),
);

/** The kinds that 0.1.0 served (its shims folder). */
const RELEASE_0_1_KEYS = ["mailbox", "subscription", "reload", "folders"];

/** Every path a release wrote into users' state. */
export const STATE_PATHS: readonly StatePath[] = [
    { path: "pulumi-dovecot/host", release: "0.1.0", stands: "the dispatcher" },
    ...RELEASE_0_1_KEYS.flatMap((key) => [
        { path: `pulumi-dovecot/shims/${key}`, release: "0.1.0", stands: LEGACY_KEYS[key] as string },
        {
            path: `pulumi-dovecot/dist/provider/shims/${key}.js`,
            release: "0.1.0",
            stands: LEGACY_KEYS[key] as string,
        },
    ]),
    { path: "pulumi-dovecot/dispatcher", release: "0.2.0", stands: "the dispatcher" },
    ...Object.entries(LEGACY_KEYS).map(([key, kind]) => ({
        path: `pulumi-dovecot/serialized/${key}`,
        release: "0.2.0",
        stands: kind,
    })),
];

/**
 * The provider object of a kind that a release wrote into state, by the kind's name: the same module
 * keeps serving it, so that a no-op run leaves the state as it was. Undefined for a kind added since,
 * whose object is its folder's (`pulumi-dovecot/kinds/<folder>`).
 */
export function releasedProviderObject(kind: string): object | undefined {
    return Object.values(RELEASED)
        .find((released) => released.kind === kind)
        ?.load();
}
