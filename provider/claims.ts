// One target, one resource. Two resources of one program that declare the same thing on the server (a
// folder, a subscription, a Sieve script, an ACL entry, a METADATA entry) are both applied, then fight:
// the server keeps one of them, every drift check fails, and removing one undoes what the other still
// declares. check() runs for every resource of a program in the provider process, so each resource
// claims its targets here, and a second resource claiming one is refused, before anything is sent,
// with an error naming both. The claims last as long as the process: one preview, update or destroy.
import type * as pulumi from "@pulumi/pulumi";
import { UNKNOWN } from "./check";
import { DEFAULT_SERVER } from "./settings";

/** One thing on the server that one resource at most may declare. */
export interface Claim {
    /** What it is, as a message reads it: `the folder "Archive" of user "alice@example.org"`. */
    what: string;
    /** The key that tells it apart: kind of target, server, user (lower case) and its own names. */
    key: readonly string[];
    /** The property that declares it, where check() reports the failure. */
    property: string;
    /** Advice beyond "remove one of them" when the two resources are of different kinds. */
    hint?: string;
}

/** Who declared a target: the resource's kind and Pulumi name. */
export interface Claimant {
    /** The resource kind, as the program spells its class (`Mailbox`). */
    kind: string;
    /** The resource's Pulumi name; undefined when not known (no claim is then made). */
    name: string | undefined;
}

const claims = new Map<string, Claimant>();

/** The key parts every target starts with: its server and its user, whose letter case never matters. */
export function targetOf(
    kind: string,
    server: string | undefined,
    user: string,
    ...rest: string[]
): string[] {
    return [kind, server ?? DEFAULT_SERVER, user.toLowerCase(), ...rest];
}

/** `"name"` in messages. */
const quoted = (text: string) => JSON.stringify(text);

/** True when every value is a string known at this point (not yet known values are claimed later). */
export function known(...values: unknown[]): boolean {
    return values.every((value) => value === undefined || (typeof value === "string" && value !== UNKNOWN));
}

/** A user's folder: a Mailbox, or one folder of a FolderSet. */
export function folderClaim(server: string | undefined, user: string, name: string, property: string): Claim {
    return {
        what: `the folder ${quoted(name)} of user ${quoted(user)}`,
        key: targetOf("folder", server, user, name),
        property,
    };
}

/** A user's subscription to a name: a Subscription, or a Mailbox's or FolderSet folder's `subscribed`. */
export function subscriptionClaim(
    server: string | undefined,
    user: string,
    name: string,
    property: string,
): Claim {
    return {
        what: `the subscription of user ${quoted(user)} to ${quoted(name)}`,
        key: targetOf("subscription", server, user, name),
        property,
        hint: "a Mailbox, and a FolderSet for each of its folders, manages the folder's subscription itself (its `subscribed`): declare no Subscription for it",
    };
}

/**
 * Claims `targets` for `claimant`; returns a check() failure for each target another resource of the
 * program claimed first (naming both). A resource may claim its own targets again (a second check).
 */
export function claim(claimant: Claimant, targets: readonly Claim[]): pulumi.dynamic.CheckFailure[] {
    if (claimant.name === undefined) return [];
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const named = new Set<Claimant>();
    for (const target of targets) {
        const key = target.key.join("\u0000");
        const other = claims.get(key);
        if (other === undefined) {
            claims.set(key, claimant);
            continue;
        }
        if (other.kind === claimant.kind && other.name === claimant.name) continue;
        // One message per other resource: a second Mailbox of a folder also claims its subscription.
        if (named.has(other)) continue;
        named.add(other);
        failures.push({
            property: target.property,
            reason:
                `the ${claimant.kind} ${quoted(claimant.name)} declares ${target.what}, which the ${other.kind} ` +
                `${quoted(other.name ?? "")} of this program declares too; one resource only may manage it, or ` +
                `the server keeps one of the two and every run undoes the other: remove one of them` +
                (target.hint && other.kind !== claimant.kind ? ` (${target.hint})` : ""),
        });
    }
    return failures;
}

/** Forgets every claim (for tests that run several programs in one process). */
export function forgetClaims(): void {
    claims.clear();
}
