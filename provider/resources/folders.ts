import * as pulumi from "@pulumi/pulumi";
import { checkStackConfiguration } from "./configuration";
import { NAME_KEY } from "../check";
import { creatorOf } from "../ownership";
import foldersProvider = require("../serialized/folders");

/** One folder of a FolderSet. */
export interface FolderArgs {
    /** The folder's full name (`Archive/2026`). */
    name: string;
    /** Whether the user is subscribed to it. Default true. */
    subscribed?: boolean;
    /** The folder's previous name, to rename it in place (keeping its messages) instead of replacing it. */
    renamedFrom?: string;
}

/** The inputs of a FolderSet. */
export interface FolderSetArgs {
    /** The user who owns the folders. */
    user: pulumi.Input<string>;
    /** The user's whole managed layout; folders not listed (and once managed) are deleted. */
    folders: pulumi.Input<FolderArgs[]>;
    /** Allow deleting folders that hold messages (they are expunged). Default false. */
    forceDestroy?: pulumi.Input<boolean>;
    /** Take over folders that already exist, with their messages. Default false. */
    adopt?: pulumi.Input<boolean>;
    /**
     * The configured server the user's mail is on: a name under `dovecot:servers` (or `default`).
     * Absent: the default server (`dovecot:endpoint`). Changing it replaces the resource, unless the
     * new server shows the same folders (a backend's proxy, say).
     */
    server?: pulumi.Input<string>;
}

/** One managed folder as last seen on the server. */
export interface ManagedFolderOutput {
    /** Its name on the server. */
    name: string;
    /** Its name in the program when last applied. */
    declaredName: string;
    /** The mailbox GUID. */
    guid: string;
    /** Whether the user is subscribed to it. */
    subscribed: boolean;
    /** Messages when last read. */
    messages: number;
}

/**
 * One user's whole folder layout as a single resource: the same guarantees as one Mailbox per folder
 * (found by GUID, renamed in place, never deleted with messages unless forceDestroy), at a fraction
 * of the state and engine steps for fleets of thousands of folders. Every change is checked against
 * the server before anything is sent, so a refused change changes nothing.
 */
export class FolderSet extends pulumi.dynamic.Resource {
    /** The user. */
    declare readonly user: pulumi.Output<string>;
    /** The declared folders. */
    declare readonly folders: pulumi.Output<FolderArgs[]>;
    /** Whether folders with messages may be deleted. */
    declare readonly forceDestroy: pulumi.Output<boolean>;
    /** Whether existing folders may be taken over. */
    declare readonly adopt: pulumi.Output<boolean>;
    /** The configured server's name; absent for the default server. */
    declare readonly server: pulumi.Output<string | undefined>;
    /** The doveadm API endpoint its server pointed at when it last wrote there (normalized, no credentials). */
    declare readonly endpoint: pulumi.Output<string | undefined>;
    /** The managed folders with their GUIDs. */
    declare readonly mailboxes: pulumi.Output<ManagedFolderOutput[]>;
    /** What the GUIDs of the folders this set makes are derived from (stack, project, name). */
    declare readonly creator: pulumi.Output<string>;

    /** Declares a user's folder layout named `name` (the Pulumi resource name). */
    constructor(name: string, args: FolderSetArgs, opts?: pulumi.CustomResourceOptions) {
        checkStackConfiguration();
        super(
            foldersProvider,
            name,
            {
                server: undefined,
                ...args,
                // What the GUIDs of the folders this set makes start with (see ownership.ts), so that a
                // run whose state was lost knows them. Not a secret; a change of it changes nothing.
                creator: creatorOf("FolderSet", pulumi.getProject(), pulumi.getStack(), name),
                mailboxes: undefined,
                endpoint: undefined,
                [NAME_KEY]: name,
            },
            opts,
            "dovecot",
            "FolderSet",
        );
    }
}
