// The resource kinds of this package: one line each (the kind's folder and its definition), the only list of them.
// Everything else reads them from here: the dispatcher, the plugin, imports, the schema, the SDKs, the
// docs pages, the tests' tables, and the package's exports (kinds/all.ts, which `npm run generate`
// writes from this list). A new kind is its folder, one line here, then `npm run generate` (see
// CONTRIBUTING.md).
// Each line loads the folder's definition.ts with a literal path, so that a bundler (the plugin's
// executable) finds every kind, and nothing loads a kind's resource class or @pulumi/pulumi.
export const KIND_LOADERS = {
    mailbox: () => require("./mailbox/definition") as unknown,
    "folder-set": () => require("./folder-set/definition") as unknown,
    subscription: () => require("./subscription/definition") as unknown,
    reload: () => require("./reload/definition") as unknown,
    "sieve-script": () => require("./sieve-script/definition") as unknown,
    "mailbox-acl": () => require("./mailbox-acl/definition") as unknown,
    "mailbox-metadata": () => require("./mailbox-metadata/definition") as unknown,
} as const;

/** The kinds' folders, in the order above. */
export const KIND_FOLDERS = Object.keys(KIND_LOADERS) as (keyof typeof KIND_LOADERS)[];
