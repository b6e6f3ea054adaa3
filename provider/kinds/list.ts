// The resource kinds of this package: one line each (the kind's folder), the only list of them.
// Everything else reads them from here: the dispatcher, the plugin, imports, the schema, the SDKs, the
// docs pages, the tests' tables, and the package's exports (kinds/all.ts, which `npm run generate`
// writes from this list). A new kind is its folder, one line here, then `npm run generate` (see
// CONTRIBUTING.md).
export const KIND_FOLDERS = [
    "mailbox",
    "folder-set",
    "subscription",
    "reload",
    "sieve-script",
    "mailbox-acl",
    "mailbox-metadata",
] as const;
