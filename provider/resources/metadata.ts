import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import { NAME_KEY } from "../check";
import metadataProvider = require("../serialized/metadata");

/** The inputs of a MailboxMetadata. */
export interface MailboxMetadataArgs {
    /** The user. */
    user: pulumi.Input<string>;
    /** The mailbox (it must exist); "" or absent for the user-level entry. */
    mailbox?: pulumi.Input<string>;
    /** The entry, under `/private/` or `/shared/` (user level: `/private/` only), such as `/shared/comment`. */
    key: pulumi.Input<string>;
    /** Its value: not empty (Dovecot reads an empty value as no entry). */
    value: pulumi.Input<string>;
    /** Replace another value that is already set instead of failing. Default false. */
    adopt?: pulumi.Input<boolean>;
    /** The configured server (a name under `dovecot:servers`); absent: the default server. */
    server?: pulumi.Input<string>;
}

/** One METADATA entry (RFC 5464) of a mailbox or of a user. Needs `mail_attribute_dict` on the server. */
export class MailboxMetadata extends pulumi.dynamic.Resource {
    /** The user. */
    declare readonly user: pulumi.Output<string>;
    /** The mailbox; "" for the user-level entry. */
    declare readonly mailbox: pulumi.Output<string>;
    /** The entry's key. */
    declare readonly key: pulumi.Output<string>;
    /** Its value. */
    declare readonly value: pulumi.Output<string>;
    /** Whether an existing value was (or may be) replaced. */
    declare readonly adopt: pulumi.Output<boolean>;
    /** The configured server's name; absent for the default server. */
    declare readonly server: pulumi.Output<string | undefined>;
    /** The doveadm API endpoint its server pointed at when it last wrote there (normalized, no credentials). */
    declare readonly endpoint: pulumi.Output<string | undefined>;

    /** Declares a METADATA entry named `name` (the Pulumi resource name). */
    constructor(name: string, args: MailboxMetadataArgs, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        super(
            metadataProvider,
            name,
            {
                server: undefined,
                mailbox: undefined,
                adopt: undefined,
                ...args,
                endpoint: undefined,
                [NAME_KEY]: name,
            },
            opts,
            "dovecot",
            "MailboxMetadata",
        );
    }
}
