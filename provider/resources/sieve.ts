import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import { NAME_KEY } from "../check";
import sieveProvider = require("../serialized/sieve");

/** The inputs of a SieveScript. */
export interface SieveScriptArgs {
    /** The user whose script it is. */
    user: pulumi.Input<string>;
    /** The script's name on the server (no '/'; not starting with '.'). A change renames it in place. */
    name: pulumi.Input<string>;
    /** The Sieve text. The server compiles it when it is stored and refuses one that does not compile. */
    script: pulumi.Input<string>;
    /** Whether it is the user's active script (a user has at most one). Default true. */
    active?: pulumi.Input<boolean>;
    /** Replace a script of this name that already exists instead of failing. Default false. */
    adopt?: pulumi.Input<boolean>;
    /** The configured server (a name under `dovecot:servers`); absent: the default server. */
    server?: pulumi.Input<string>;
}

/**
 * One Sieve script of one user (Pigeonhole's `sieve` storage through doveadm): the rules that file
 * arriving mail. A script that does not compile is refused and the stored (and active) script stays.
 */
export class SieveScript extends pulumi.dynamic.Resource {
    /** The user. */
    declare readonly user: pulumi.Output<string>;
    /** The script's name. */
    declare readonly name: pulumi.Output<string>;
    /** The Sieve text as stored on the server. */
    declare readonly script: pulumi.Output<string>;
    /** Whether it is the user's active script. */
    declare readonly active: pulumi.Output<boolean>;
    /** Whether an existing script was (or may be) replaced. */
    declare readonly adopt: pulumi.Output<boolean>;
    /** The configured server's name; absent for the default server. */
    declare readonly server: pulumi.Output<string | undefined>;
    /** The doveadm API endpoint its server pointed at when it last wrote there (normalized, no credentials). */
    declare readonly endpoint: pulumi.Output<string | undefined>;
    /**
     * The user's script that was active before this one was made active over it (with `adopt`);
     * destroying this one makes it active again. Absent when this one replaced none.
     */
    declare readonly replacedActive: pulumi.Output<string | undefined>;

    /** Declares a Sieve script named `name` (the Pulumi resource name). */
    constructor(name: string, args: SieveScriptArgs, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        super(
            sieveProvider,
            name,
            {
                server: undefined,
                active: undefined,
                adopt: undefined,
                ...args,
                replacedActive: undefined,
                endpoint: undefined,
                [NAME_KEY]: name,
            },
            opts,
            "dovecot",
            "SieveScript",
        );
    }
}
