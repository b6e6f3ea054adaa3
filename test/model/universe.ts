// What the model's programs may name, and on which servers: the two servers, the users (and other
// spellings of one account), the accounts the checks read, the slots of each resource kind and the
// pools their names, texts, rights and values come from, the canaries set up before a run; and the few
// ways to pick among them or to spell them in a program or a message. Plain constants, so that every
// other part of the model draws from one list and a new name is added in one place.
export const ALICE = "alice@example.org";
export const BOB = "bob@example.org";
export const CAROL = "carol@example.org";

/** The default server (the top-level settings), and one named in `dovecot:servers`. */
export type ServerRef = "default" | "east";
export const SERVERS: readonly ServerRef[] = ["default", "east"];
export const otherServer = (server: ServerRef): ServerRef => (server === "default" ? "east" : "default");
/** A resource's `server` input: absent for the default server. */
export const serverInput = (server: ServerRef) => (server === "default" ? {} : { server });

/** How a program names a user: alice, alice spelled otherwise (same account), or bob. */
export type UserRef = "alice" | "Alice" | "bob";
export const USER_REFS: readonly UserRef[] = ["alice", "Alice", "bob"];
export const login = (u: UserRef) => (u === "alice" ? ALICE : u === "Alice" ? "Alice@Example.org" : BOB);
export const account = (u: UserRef) => (u === "bob" ? BOB : ALICE);
/** The users a program names on each server: bob has an account on the default server only. */
export const USERS_ON: Record<ServerRef, readonly UserRef[]> = {
    default: USER_REFS,
    east: ["alice", "Alice"],
};
export const fitUser = (server: ServerRef, user: UserRef): UserRef =>
    USERS_ON[server].includes(user) ? user : "alice";
/** The same account, spelled otherwise when `variant` is odd. */
export const respell = (user: UserRef, variant: number): UserRef =>
    user === "bob" || variant % 2 === 0 ? user : user === "alice" ? "Alice" : "alice";

/** An account on a server, as the checks key what they read. */
export const at = (server: ServerRef, user: string) => `${server}|${user}`;
/** The account on a server that a declaration is about. */
export const whereOf = (d: { server: ServerRef; user: UserRef }) => at(d.server, account(d.user));
/** Every account whose things the checks read: the program's users, and carol, a canary user. */
export const OWNERS: ReadonlyArray<{ server: ServerRef; user: string }> = [
    { server: "default", user: ALICE },
    { server: "default", user: BOB },
    { server: "default", user: CAROL },
    { server: "east", user: ALICE },
    { server: "east", user: CAROL },
];
/** The accounts a program (and "someone else") acts on. */
export const PROGRAM_OWNERS = OWNERS.filter((o) => o.user !== CAROL);

export const MAILBOX_SLOTS = ["m1", "m2", "m3"] as const;
export type MailboxSlot = (typeof MAILBOX_SLOTS)[number];
/** Flat names (a rename carries children along, so Mailbox resources get no hierarchy), one INBOX child. */
export const MAILBOX_NAMES = ["Work", "Home", "Travel", "Inbox/Bills", "Notes"];
export const SET_NAMES = ["SetA", "SetB", "SetC"];
export const BAD_NAME = "Bad.name"; // Maildir++ refuses '.' (exit 64)
export const LEGACY = "Legacy"; // made by an admin before the program, with mail: only `adopt` may take it
/** A folder every program user has from the start, managed by nobody: where ACL and METADATA entries go. */
export const TEAM = "Team";

export const SIEVE_SLOTS = ["s1", "s2", "s3"] as const;
export type SieveSlot = (typeof SIEVE_SLOTS)[number];
export const SIEVE_NAMES = ["rules", "lists", "spam"];
export const SIEVE_TEXTS = [
    "# the program's rules\nkeep;\n",
    'require "fileinto";\nif header :contains "Subject" "work" { fileinto "INBOX"; }\n',
    'if header :contains "Subject" "spam" { discard; stop; }\nkeep;\n',
];
/** Scripts someone else stores (never a name the program uses). */
export const FOREIGN_SIEVE_NAMES = ["theirs", "vacation"];
export const FOREIGN_SIEVE_TEXTS = ["# someone else's rules\nkeep;\n", "# away\nkeep;\n"];

export const ACL_SLOTS = ["a1", "a2"] as const;
export type AclSlot = (typeof ACL_SLOTS)[number];
export const ACL_MAILBOXES = ["INBOX", TEAM];
export const ACL_IDS = ["user=carol@example.org", "anyone", "authenticated"];
/** Identifiers only someone else (or a canary) sets. */
export const FOREIGN_ACL_IDS = ["group=staff", "group=ops"];
/** Right lists, each sorted by name as Dovecot reports them. */
export const RIGHTS = [
    ["lookup"],
    ["lookup", "read"],
    ["insert", "lookup", "read"],
    ["lookup", "write-seen"],
];

export const META_SLOTS = ["d1", "d2"] as const;
export type MetaSlot = (typeof META_SLOTS)[number];
/** METADATA entries a program declares ("" is the user level). */
export const META_TARGETS = [
    { mailbox: "INBOX", key: "/private/comment" },
    { mailbox: TEAM, key: "/shared/comment" },
    { mailbox: "", key: "/private/comment" },
];
/** Entries only someone else sets. */
export const FOREIGN_META_TARGETS = [
    { mailbox: TEAM, key: "/private/comment" },
    { mailbox: "", key: "/private/note" },
];
export const META_VALUES = ["one", "two words", "trois é"];
/** METADATA entries set at setup that no program declares. */
export const CANARY_META: ReadonlyArray<{
    server: ServerRef;
    user: string;
    mailbox: string;
    key: string;
    value: string;
}> = [
    { server: "default", user: ALICE, mailbox: "INBOX", key: "/private/canary", value: "alice's canary" },
    { server: "default", user: CAROL, mailbox: "INBOX", key: "/private/comment", value: "carol's comment" },
    { server: "east", user: ALICE, mailbox: TEAM, key: "/private/canary", value: "east canary" },
];

export const SUB_SLOTS = ["u1", "u2"] as const;
export type SubSlot = (typeof SUB_SLOTS)[number];
/** Names a Subscription declares: one that exists (Team), two that do not. */
export const SUB_NAMES = ["News", "Lists/Dev", TEAM];

/** `text` as a regular expression that matches it literally. */
export const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** A value of `pool` other than `value`, chosen by `pick`. */
export function otherOf<T>(pool: readonly T[], value: T, pick: number): T {
    const others = pool.filter((v) => JSON.stringify(v) !== JSON.stringify(value));
    return others[pick % others.length] as T;
}
