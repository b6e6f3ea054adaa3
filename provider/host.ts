// The entry point the serialized providers load at call time (as `pulumi-dovecot/host`). Keeping the
// implementation here, behind a tiny shim, means the state holds only a few hundred bytes per
// resource, old state runs the installed code after an upgrade, and module state (the client and its
// limits) is shared by every resource in the provider process.
import type * as pulumi from "@pulumi/pulumi";
import { configureConnection } from "./connection";
import { mailboxHandler } from "./handlers/mailbox";
import { reloadHandler } from "./handlers/reload";
import { subscriptionHandler } from "./handlers/subscription";

/** The resource kinds this package provides. */
export type ResourceKind = "mailbox" | "subscription" | "reload";

const handlers: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = {
    mailbox: mailboxHandler,
    subscription: subscriptionHandler,
    reload: reloadHandler,
};

/** Runs provider method `method` of resource kind `kind` with the engine's arguments. */
export async function dispatch(kind: ResourceKind, method: string, args: unknown[]): Promise<unknown> {
    if (method === "configure") {
        const request = args[0] as pulumi.dynamic.ConfigureRequest | undefined;
        configureConnection(request?.config);
        return undefined;
    }
    const handler = handlers[kind] as unknown as Record<
        string,
        ((...a: unknown[]) => Promise<unknown>) | undefined
    >;
    const fn = handler?.[method];
    if (!fn) throw new Error(`pulumi-dovecot: resource kind ${kind} has no method ${method}`);
    return fn.apply(handler, args);
}
