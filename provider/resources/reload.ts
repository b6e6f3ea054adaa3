import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import reloadProvider = require("../serialized/reload");

/** The inputs of a Reload. */
export interface ReloadArgs {
    /** Any values; Dovecot is reloaded when the resource is created and whenever they change. */
    triggers?: pulumi.Input<unknown[]>;
    /** The configured server to reload: a name under `dovecot:servers` (or `default`). Default: the default server. */
    server?: pulumi.Input<string>;
    /** Several configured servers to reload (instead of `server`); each is reloaded, and waited for, once per change. */
    servers?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Reloads Dovecot's configuration (`doveadm reload`) on create and whenever `triggers` change, then
 * waits until the API answers again; on each of `servers` at once when several are named. A server
 * that fails fails the resource (by name), the others' reloads stand, and the next `up` reloads only
 * the ones that failed. Deleting it does nothing on the server.
 */
export class Reload extends pulumi.dynamic.Resource {
    /** The values whose change triggers a reload. */
    declare readonly triggers: pulumi.Output<unknown[]>;
    /** When the last reload finished (ISO 8601), on whichever server. */
    declare readonly reloadedAt: pulumi.Output<string>;
    /** When each server was reloaded for the current triggers (ISO 8601), by server name (`default` too). */
    declare readonly reloaded: pulumi.Output<Record<string, string>>;

    /** Declares a reload named `name` (the Pulumi resource name). */
    constructor(name: string, args: ReloadArgs = {}, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        super(
            reloadProvider,
            name,
            {
                triggers: args.triggers ?? [],
                server: args.server,
                servers: args.servers,
                reloadedAt: undefined,
                reloaded: undefined,
            },
            opts,
            "dovecot",
            "Reload",
        );
    }
}
