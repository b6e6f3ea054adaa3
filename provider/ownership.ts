// Which mailboxes a resource made. A Mailbox creates its folder with a GUID of its own choosing: the
// first 96 bits are a tag derived from the resource (its stack, project and name, as the `creator`
// input) and the user, the last 32 bits are random. So a later run that finds the folder without a
// record of it (the state was lost, or the engine never wrote it) knows it by the tag and takes it,
// while a folder anyone else made, whose GUID is the server's own, is still refused. The random part
// makes each creation's GUID new: replication tells a folder deleted and created again apart by GUID.
import { createHash, randomBytes } from "node:crypto";

/** The `creator` input of a resource: 32 hex digits of a hash of what names it in its stack (nothing secret). */
export function creatorOf(kind: string, project: string, stack: string, name: string): string {
    return createHash("sha256")
        .update(JSON.stringify(["pulumi-dovecot creator v1", kind, project, stack, name]))
        .digest("hex")
        .slice(0, 32);
}

/** The 24 hex digits that begin the GUIDs of the mailboxes `creator` makes for `user`. */
export function ownerTag(creator: string, user: string): string {
    return createHash("sha256")
        .update(JSON.stringify(["pulumi-dovecot owner tag v1", creator, user]))
        .digest("hex")
        .slice(0, 24);
}

/** A new GUID for a mailbox that `creator` makes for `user`: its tag, then 8 random hex digits. */
export function ownedGuid(creator: string, user: string): string {
    return ownerTag(creator, user) + randomBytes(4).toString("hex");
}

/** True when `guid` is one that `creator` made for `user`. */
export function ownedBy(creator: string, user: string, guid: string): boolean {
    return guid.startsWith(ownerTag(creator, user));
}
