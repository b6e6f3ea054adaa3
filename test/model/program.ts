// A program as plain data (what each slot of each kind declares), and the same program as the
// resources the engine is given. Kept apart from the steps that edit it and the checks that read it,
// so that both agree on one shape: the resource list is built only here, and which folders a program
// declares (with their subscriptions) is answered only here.
import { canonicalName } from "../../provider/names";
import { ResourceSpec } from "../harness/pulumi";
import {
    ACL_SLOTS,
    ALICE,
    AclSlot,
    LEGACY,
    MAILBOX_SLOTS,
    META_SLOTS,
    MailboxSlot,
    MetaSlot,
    SIEVE_SLOTS,
    SUB_SLOTS,
    ServerRef,
    SieveSlot,
    SubSlot,
    UserRef,
    account,
    login,
    serverInput,
} from "./universe";

export interface MailboxDecl {
    server: ServerRef;
    user: UserRef;
    folder: string;
    subscribed: boolean;
    forceDestroy: boolean;
    adopt: boolean;
}
export interface SetFolder {
    name: string;
    subscribed: boolean;
    renamedFrom?: string;
}
/** The FolderSet, of alice on its server. */
export interface SetDecl {
    server: ServerRef;
    folders: SetFolder[];
    forceDestroy: boolean;
}
export interface SieveDecl {
    server: ServerRef;
    user: UserRef;
    name: string;
    script: string;
    active: boolean;
    adopt: boolean;
}
export interface AclDecl {
    server: ServerRef;
    user: UserRef;
    mailbox: string;
    identifier: string;
    rights: string[];
}
export interface MetaDecl {
    server: ServerRef;
    user: UserRef;
    mailbox: string;
    key: string;
    value: string;
}
export interface SubDecl {
    server: ServerRef;
    user: UserRef;
    mailbox: string;
}
/** A program: what is declared. */
export interface Program {
    mailboxes: Partial<Record<MailboxSlot, MailboxDecl>>;
    set?: SetDecl;
    sieves: Partial<Record<SieveSlot, SieveDecl>>;
    acls: Partial<Record<AclSlot, AclDecl>>;
    metas: Partial<Record<MetaSlot, MetaDecl>>;
    subs: Partial<Record<SubSlot, SubDecl>>;
}
export const emptyProgram = (): Program => ({ mailboxes: {}, sieves: {}, acls: {}, metas: {}, subs: {} });

/** A deep copy of plain data (a program, a Sieve simulation). */
export const clone = <T>(value: T): T =>
    value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);

/** A record's entry set, or removed when `value` is undefined. */
export function setSlot<K extends string, V>(
    table: Partial<Record<K, V>>,
    slot: K,
    value: V | undefined,
): void {
    if (value === undefined) delete table[slot];
    else table[slot] = value;
}

/** A resource to add to the program (a duplicate), before the resource named `before` or last. */
export interface Extra {
    spec: ResourceSpec;
    before?: string;
}

export function resources(program: Program, extra?: Extra): ResourceSpec[] {
    const specs: ResourceSpec[] = [];
    for (const slot of MAILBOX_SLOTS) {
        const m = program.mailboxes[slot];
        if (!m) continue;
        specs.push({
            kind: "Mailbox",
            name: slot,
            args: {
                user: login(m.user),
                name: m.folder,
                subscribed: m.subscribed,
                forceDestroy: m.forceDestroy,
                adopt: m.adopt,
                ...serverInput(m.server),
            },
        });
    }
    if (program.set) {
        specs.push({
            kind: "FolderSet",
            name: "set",
            args: {
                user: ALICE,
                folders: program.set.folders,
                forceDestroy: program.set.forceDestroy,
                ...serverInput(program.set.server),
            },
        });
    }
    for (const slot of SIEVE_SLOTS) {
        const d = program.sieves[slot];
        if (!d) continue;
        const { server, user, ...rest } = d;
        specs.push({
            kind: "SieveScript",
            name: slot,
            args: { user: login(user), ...rest, ...serverInput(server) },
        });
    }
    for (const slot of ACL_SLOTS) {
        const d = program.acls[slot];
        if (!d) continue;
        const { server, user, ...rest } = d;
        specs.push({
            kind: "MailboxAcl",
            name: slot,
            args: { user: login(user), ...rest, ...serverInput(server) },
        });
    }
    for (const slot of META_SLOTS) {
        const d = program.metas[slot];
        if (!d) continue;
        const { server, user, ...rest } = d;
        specs.push({
            kind: "MailboxMetadata",
            name: slot,
            args: { user: login(user), ...rest, ...serverInput(server) },
        });
    }
    for (const slot of SUB_SLOTS) {
        const d = program.subs[slot];
        if (!d) continue;
        specs.push({
            kind: "Subscription",
            name: slot,
            args: { user: login(d.user), mailbox: d.mailbox, ...serverInput(d.server) },
        });
    }
    if (extra) {
        const index = specs.findIndex((s) => s.name === extra.before);
        specs.splice(index < 0 ? specs.length : index, 0, extra.spec);
    }
    return specs;
}

/** Every (server, account, canonical folder) a program declares, with its `subscribed`. */
export function declaredFolders(
    program: Program,
): Array<{ server: ServerRef; user: string; folder: string; subscribed: boolean }> {
    const out = MAILBOX_SLOTS.flatMap((slot) => {
        const m = program.mailboxes[slot];
        return m
            ? [
                  {
                      server: m.server,
                      user: account(m.user),
                      folder: canonicalName(m.folder, "/"),
                      subscribed: m.subscribed,
                  },
              ]
            : [];
    });
    for (const f of program.set?.folders ?? [])
        out.push({
            server: (program.set as SetDecl).server,
            user: ALICE,
            folder: f.name,
            subscribed: f.subscribed,
        });
    return out;
}

export function taken(program: Program, server: ServerRef, user: string, folder: string): boolean {
    const name = canonicalName(folder, "/");
    return (
        declaredFolders(program).some((d) => d.server === server && d.user === user && d.folder === name) ||
        name === LEGACY
    );
}
