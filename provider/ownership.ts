// Which mailboxes a resource made. A Mailbox (or a FolderSet) creates its folders with GUIDs of its own
// choosing, so a later run that finds a folder without a record of it (the state was lost, or the
// engine never wrote it) knows it, while a folder anyone else made, whose GUID is the server's own, is
// still refused. The resource's `creator` input says what the GUIDs are derived from: 32 hex digits of
// a hash of the resource (its kind, project, stack and name), then, since 0.3, 12 of a hash of its
// project and stack alone (the stack's mark). A GUID made with such a creator is
//   12 hex digits of the stack's tag for the user, 12 of the resource's tag for the user, 8 random;
// so a folder also tells which stack made it, and a folder that another resource of the same stack
// made is never taken over as if someone outside the stack had made it (see ownedByOtherOfStack).
// Creators of 0.2 (32 digits) made GUIDs of 24 digits of the resource's tag, then 8 random; those
// folders stay recognised. The random part makes each creation's GUID new: replication tells a folder
// deleted and created again apart by GUID.
import { createHash, randomBytes } from "node:crypto";

const hash = (parts: unknown[]) => createHash("sha256").update(JSON.stringify(parts)).digest("hex");

/** The pattern of a `creator` input: 32 hex digits, then (since 0.3) the stack's mark of 12. */
export const CREATOR_PATTERN = /^[0-9a-f]{32}(?:[0-9a-f]{12})?$/;

/**
 * The `creator` input of a resource: a hash of what names it in its stack, then the stack's mark
 * (nothing secret; the same on both faces, so both recognise the same folders).
 */
export function creatorOf(kind: string, project: string, stack: string, name: string): string {
    return (
        hash(["pulumi-dovecot creator v1", kind, project, stack, name]).slice(0, 32) +
        hash(["pulumi-dovecot stack v2", project, stack]).slice(0, 12)
    );
}

/** The 24 hex digits that begin the GUIDs of the mailboxes a 0.2 `creator` made for `user`. */
function ownerTagV1(creator: string, user: string): string {
    return hash(["pulumi-dovecot owner tag v1", creator.slice(0, 32), user]).slice(0, 24);
}

/** The stack's 12 hex digits that begin the GUIDs of the mailboxes its resources make for `user`. */
function stackTag(creator: string, user: string): string | undefined {
    const mark = creator.slice(32);
    return mark.length === 12 ? hash(["pulumi-dovecot stack tag v2", mark, user]).slice(0, 12) : undefined;
}

/** The resource's 12 hex digits that follow the stack's tag in the GUIDs it makes for `user`. */
function resourceTag(creator: string, user: string): string {
    return hash(["pulumi-dovecot resource tag v2", creator.slice(0, 32), user]).slice(0, 12);
}

/** A new GUID for a mailbox that `creator` makes for `user`. */
export function ownedGuid(creator: string, user: string): string {
    const stack = stackTag(creator, user);
    const tag = stack === undefined ? ownerTagV1(creator, user) : stack + resourceTag(creator, user);
    return tag + randomBytes(4).toString("hex");
}

/** True when `guid` is one that `creator` made for `user` (with this version's tags or 0.2's). */
export function ownedBy(creator: string, user: string, guid: string): boolean {
    if (guid.startsWith(ownerTagV1(creator, user))) return true;
    const stack = stackTag(creator, user);
    return stack !== undefined && guid.startsWith(stack + resourceTag(creator, user));
}

/**
 * True when another resource of the stack of `creator` made `guid` for `user`: it may still declare
 * the folder, so this resource must not take it over, even with `adopt`.
 */
export function ownedByOtherOfStack(creator: string | undefined, user: string, guid: string): boolean {
    if (creator === undefined) return false;
    const stack = stackTag(creator, user);
    return stack !== undefined && guid.startsWith(stack) && !ownedBy(creator, user, guid);
}

/**
 * The creator to recognise a resource's folders by, from the one its record kept (maybe of 0.2, without
 * the stack's mark) and the one the program declares now: the declared one when it names the same
 * resource (so the stack's mark is known), else the recorded one.
 */
export function sameCreator(recorded: string | undefined, declared: string | undefined): string | undefined {
    if (recorded === undefined) return declared;
    return declared !== undefined && declared.slice(0, 32) === recorded.slice(0, 32) ? declared : recorded;
}
