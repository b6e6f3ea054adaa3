import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import { NAME_KEY } from "../check";
import { creatorOf } from "../ownership";
import mailboxProvider = require("../serialized/mailbox");

/** The inputs of a Mailbox. */
export interface MailboxArgs {
    /** The user who owns the mailbox, as the server's user database knows them (`alice@example.org`). */
    user: pulumi.Input<string>;
    /** The mailbox's full name, levels joined by the server's hierarchy separator (`Archive/2026`). UTF-8. */
    name: pulumi.Input<string>;
    /** Whether the user is subscribed to the mailbox (IMAP LSUB). Default true. */
    subscribed?: pulumi.Input<boolean>;
    /** Allow deleting the mailbox while it holds messages (they are expunged). Default false. */
    forceDestroy?: pulumi.Input<boolean>;
    /** Take over a mailbox that already exists, with its messages, instead of failing. Default false. */
    adopt?: pulumi.Input<boolean>;
    /**
     * The configured server the user's mail is on: a name under `dovecot:servers` (or `default`).
     * Absent: the default server (`dovecot:endpoint`). Changing it replaces the resource, unless the
     * new server shows the same folder (a backend's proxy, say).
     */
    server?: pulumi.Input<string>;
}

/**
 * One IMAP folder of one user. Renaming keeps its messages and GUID; changing the user replaces it;
 * deleting refuses a folder that holds messages unless `forceDestroy` is set. INBOX may be managed
 * (its subscription) but is never renamed or deleted.
 */
export class Mailbox extends pulumi.dynamic.Resource {
    /** The user who owns the mailbox. */
    declare readonly user: pulumi.Output<string>;
    /** The mailbox's full name. */
    declare readonly name: pulumi.Output<string>;
    /** Whether the user is subscribed to it. */
    declare readonly subscribed: pulumi.Output<boolean>;
    /** Whether deleting it may expunge messages. */
    declare readonly forceDestroy: pulumi.Output<boolean>;
    /** Whether an existing mailbox was (or may be) taken over. */
    declare readonly adopt: pulumi.Output<boolean>;
    /** The configured server's name; absent for the default server. */
    declare readonly server: pulumi.Output<string | undefined>;
    /** The doveadm API endpoint its server pointed at when it last wrote there (normalized, no credentials). */
    declare readonly endpoint: pulumi.Output<string | undefined>;
    /** What the GUIDs of the folders this resource makes are derived from (stack, project, name). */
    declare readonly creator: pulumi.Output<string>;
    /** The mailbox GUID: 32 hex digits, kept across renames. Also the resource id. */
    declare readonly guid: pulumi.Output<string>;
    /** Messages in the mailbox when last read. */
    declare readonly messages: pulumi.Output<number>;
    /** Messages without the \Seen flag when last read. */
    declare readonly unseen: pulumi.Output<number>;
    /** The IMAP UIDVALIDITY. */
    declare readonly uidValidity: pulumi.Output<number>;
    /** The next IMAP UID. */
    declare readonly uidNext: pulumi.Output<number>;
    /** The highest modification sequence (CONDSTORE). */
    declare readonly highestModSeq: pulumi.Output<number>;
    /** The virtual size of the messages in bytes. */
    declare readonly vsize: pulumi.Output<number>;

    /** Declares a mailbox named `name` (the Pulumi resource name) with the given arguments. */
    constructor(name: string, args: MailboxArgs, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        const props = {
            server: undefined,
            ...args,
            // What the GUIDs of the folders this resource makes start with (see ownership.ts), so that
            // a run whose state was lost knows them. Not a secret; a change of it changes nothing.
            creator: creatorOf("Mailbox", pulumi.getProject(), pulumi.getStack(), name),
            guid: undefined,
            messages: undefined,
            unseen: undefined,
            uidValidity: undefined,
            uidNext: undefined,
            highestModSeq: undefined,
            vsize: undefined,
            // For check()'s messages (which resource declares what); check() drops it, so never stored.
            endpoint: undefined,
            [NAME_KEY]: name,
        };
        super(mailboxProvider, name, props, opts, "dovecot", "Mailbox");
    }
}
