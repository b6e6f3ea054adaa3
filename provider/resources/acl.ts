import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import { NAME_KEY } from "../check";
import aclProvider = require("../serialized/acl");

/** The inputs of a MailboxAcl. */
export interface MailboxAclArgs {
    /** The owner of the mailbox. */
    user: pulumi.Input<string>;
    /** The owner's mailbox to share (it must exist: pass a Mailbox's `name` output). */
    mailbox: pulumi.Input<string>;
    /** Who gets the rights, as Dovecot spells it: `user=bob@example.org`, `group=staff`, `anyone`, `authenticated`, `owner`. */
    identifier: pulumi.Input<string>;
    /**
     * Dovecot's right names: `lookup`, `read`, `write`, `write-seen`, `write-deleted`, `insert`,
     * `post`, `expunge`, `create`, `delete`, `admin`. At least one.
     */
    rights: pulumi.Input<pulumi.Input<string>[]>;
    /** Replace an entry for this identifier that already exists with other rights, instead of failing. Default false. */
    adopt?: pulumi.Input<boolean>;
    /** The configured server (a name under `dovecot:servers`); absent: the default server. */
    server?: pulumi.Input<string>;
}

/**
 * The rights one identifier has on one mailbox (an entry of its ACL): how a folder is shared. Needs
 * Dovecot's `acl` plugin, and a shared namespace for other users to see the folder.
 */
export class MailboxAcl extends pulumi.dynamic.Resource {
    /** The owner. */
    declare readonly user: pulumi.Output<string>;
    /** The mailbox. */
    declare readonly mailbox: pulumi.Output<string>;
    /** Who gets the rights. */
    declare readonly identifier: pulumi.Output<string>;
    /** The rights, sorted by name, as the server reports them. */
    declare readonly rights: pulumi.Output<string[]>;
    /** Whether an existing entry was (or may be) replaced. */
    declare readonly adopt: pulumi.Output<boolean>;
    /** The configured server's name; absent for the default server. */
    declare readonly server: pulumi.Output<string | undefined>;
    /** The doveadm API endpoint its server pointed at when it last wrote there (normalized, no credentials). */
    declare readonly endpoint: pulumi.Output<string | undefined>;

    /** Declares an ACL entry named `name` (the Pulumi resource name). */
    constructor(name: string, args: MailboxAclArgs, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        super(
            aclProvider,
            name,
            { server: undefined, adopt: undefined, ...args, endpoint: undefined, [NAME_KEY]: name },
            opts,
            "dovecot",
            "MailboxAcl",
        );
    }
}
