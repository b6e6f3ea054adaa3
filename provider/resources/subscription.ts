import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import { NAME_KEY } from "../check";
import subscriptionProvider = require("../serialized/subscription");

/** The inputs of a Subscription. */
export interface SubscriptionArgs {
    /** The user whose subscription list holds the entry. */
    user: pulumi.Input<string>;
    /** The mailbox name to subscribe to; it need not exist (for example a shared folder). */
    mailbox: pulumi.Input<string>;
    /**
     * The configured server the user's mail is on: a name under `dovecot:servers` (or `default`).
     * Absent: the default server (`dovecot:endpoint`). Changing it replaces the resource.
     */
    server?: pulumi.Input<string>;
}

/** One entry in a user's IMAP subscription list. Any change replaces it. */
export class Subscription extends pulumi.dynamic.Resource {
    /** The user. */
    declare readonly user: pulumi.Output<string>;
    /** The subscribed mailbox name. */
    declare readonly mailbox: pulumi.Output<string>;
    /** The configured server's name; absent for the default server. */
    declare readonly server: pulumi.Output<string | undefined>;
    /** The doveadm API endpoint its server pointed at when it last wrote there (normalized, no credentials). */
    declare readonly endpoint: pulumi.Output<string | undefined>;

    /** Declares a subscription named `name` (the Pulumi resource name). */
    constructor(name: string, args: SubscriptionArgs, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        super(
            subscriptionProvider,
            name,
            { server: undefined, ...args, endpoint: undefined, [NAME_KEY]: name },
            opts,
            "dovecot",
            "Subscription",
        );
    }
}
