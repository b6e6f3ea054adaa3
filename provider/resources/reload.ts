import * as pulumi from "@pulumi/pulumi";
import reloadProvider = require("../serialized/reload");

/** The inputs of a Reload. */
export interface ReloadArgs {
    /** Any values; Dovecot is reloaded when the resource is created and whenever they change. */
    triggers?: pulumi.Input<unknown[]>;
}

/**
 * Reloads Dovecot's configuration (`doveadm reload`) on create and whenever `triggers` change, then
 * waits until the API answers again. Deleting it does nothing on the server.
 */
export class Reload extends pulumi.dynamic.Resource {
    /** The values whose change triggers a reload. */
    declare readonly triggers: pulumi.Output<unknown[]>;
    /** When the last reload finished (ISO 8601). */
    declare readonly reloadedAt: pulumi.Output<string>;

    /** Declares a reload named `name` (the Pulumi resource name). */
    constructor(name: string, args: ReloadArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            reloadProvider,
            name,
            { triggers: args.triggers ?? [], reloadedAt: undefined },
            opts,
            "dovecot",
            "Reload",
        );
    }
}
