// The provider objects that Pulumi serializes into the state of every resource. Each kind's object is
// the whole `module.exports` of a file (serialized/<key>.ts for the kinds a release served,
// kinds/<folder>/provider.ts for a kind added since), so when this package is installed under
// node_modules Pulumi writes it into state as a one-line `require("pulumi-dovecot/serialized/<key>")`
// (about 300 bytes). Where it is not installed (this repo's own examples and tests) Pulumi copies the
// object by value; its methods then capture only strings and load the dispatcher at call time, so
// they never capture a socket, a schema or a client, which cannot be serialized.
//
// What this writes into users' state is public API: table.ts lists every path a release wrote, which
// must keep resolving in every later version.
import type * as pulumi from "@pulumi/pulumi";

const METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

/** What the dispatcher module offers (the types are erased: the serialized text stays as it was). */
interface Dispatcher {
    dispatch(kind: string, method: string, args: unknown[]): Promise<unknown>;
}

function loadDispatcher(dispatcherPath: string): Dispatcher {
    try {
        // By name first, so that state written on one machine works on another.
        return require("pulumi-dovecot/dispatcher") as Dispatcher;
    } catch (error) {
        if ((error as { code?: string }).code !== "MODULE_NOT_FOUND") throw error;
        try {
            return require(dispatcherPath) as Dispatcher;
        } catch {
            throw new Error(
                "pulumi-dovecot is not installed: run `npm install pulumi-dovecot` in the Pulumi project",
            );
        }
    }
}

/** The serializable provider object of a resource kind. */
export function makeProviderObject(kind: string): pulumi.dynamic.ResourceProvider {
    const dispatcherPath = require.resolve("../dispatcher");
    const provider: Record<string, unknown> = {};
    for (const method of METHODS) {
        provider[method] = (...args: unknown[]) =>
            loadDispatcher(dispatcherPath).dispatch(kind, method, args);
    }
    return provider as unknown as pulumi.dynamic.ResourceProvider;
}
