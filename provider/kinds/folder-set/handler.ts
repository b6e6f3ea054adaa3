// CRUD for one user's whole folder layout as one resource: for fleets where thousands of Mailbox
// resources are themselves the cost (state size, engine steps). Folders are tracked by GUID like
// Mailbox, so refresh sees renames made behind Pulumi's back and the next `up` renames them back.
// Every change is planned and checked against one snapshot of the user before anything is sent: a
// folder that holds messages is never deleted without forceDestroy, and nothing is taken over
// without adopt. While it applies, a ledger holds every folder the set manages, found by GUID and
// updated after each step that succeeds, so a failure half-way records every folder the set managed
// before and every folder it made; none is forgotten.
import type * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { DoveadmClient, MailboxStatus, UserSnapshot } from "../../client/client";
import {
    DoveadmConflictError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
    DoveadmUsageError,
    outcomeUnknown,
} from "../../client/errors";
import { MAX_BATCH } from "../../client/queue";
import { isExists, mailboxNotEmpty } from "../../client/scheduler";
import { UNKNOWN, checkInputs } from "../../check";
import { claim, declaredElsewhere, folderClaim, known, subscriptionClaim } from "../../claims";
import { clientFor, separatorOf } from "../../connection";
import { isInbox, isWithin, movedName, perSeparator, renameProblem } from "../../names";
import { ownedBy, ownedByOtherOfStack, ownedGuid } from "../../ownership";
import { sameAccount } from "../../handlers/accounts";
import { departedUser, unknownUser } from "../../handlers/no-user";
import { PartialFailureError } from "../../handlers/partial";
import {
    endpointOf,
    leaveAlone,
    moveOf,
    sameFolderOn,
    serverFailures,
    serverOf,
    warnMoved,
} from "../../handlers/server";
import { fromState } from "../../handlers/state";
import {
    FolderSetInputs,
    FolderSetOutputs,
    FolderSpec,
    ManagedFolder,
    folderSetInputShape,
    folderSetOutputShape,
} from "./schema";

/** The recorded outputs, as read back from Pulumi's state. */
const recordedShape = perSeparator((separator: string) =>
    z.object({ ...folderSetInputShape(separator), ...folderSetOutputShape(separator) }),
);

function recorded(method: string, id: string | undefined, props: unknown): FolderSetOutputs {
    return fromState("FolderSet", method, id, props, recordedShape(separatorOf(serverOf(props))));
}

/** A snapshot's mailboxes by GUID and by name, and its subscriptions: a set has thousands of folders. */
interface SnapshotIndex {
    byGuid: Map<string, MailboxStatus>;
    byName: Map<string, MailboxStatus>;
    subscribed: Set<string>;
}

const indexes = new WeakMap<UserSnapshot, SnapshotIndex>();

/** The index of `snapshot` (made once per snapshot). */
function indexOf(snapshot: UserSnapshot): SnapshotIndex {
    let index = indexes.get(snapshot);
    if (!index) {
        index = {
            byGuid: new Map(snapshot.mailboxes.map((m) => [m.guid, m])),
            byName: new Map(snapshot.mailboxes.map((m) => [m.name, m])),
            subscribed: new Set(snapshot.subscriptions),
        };
        indexes.set(snapshot, index);
    }
    return index;
}

/** Every folder the set manages during one apply, by GUID, as it is on the server after each step. */
class Ledger {
    readonly folders = new Map<string, ManagedFolder>();
    /** Names whose create was sent but whose outcome is unknown. */
    readonly unconfirmed = new Set<string>();

    /** The ledger of what a set's record says it manages. */
    static from(record: Pick<FolderSetOutputs, "mailboxes" | "unconfirmed"> | undefined): Ledger {
        const ledger = new Ledger();
        for (const folder of record?.mailboxes ?? []) ledger.folders.set(folder.guid, { ...folder });
        for (const name of record?.unconfirmed ?? []) ledger.unconfirmed.add(name);
        return ledger;
    }

    /** Records that `from` (and everything below it, which a rename carries along) is now `to`. */
    moved(from: string, to: string, separator: string): void {
        for (const folder of this.folders.values()) folder.name = movedName(folder.name, from, to, separator);
    }

    /**
     * Brings every folder up to date from a snapshot, by GUID; those gone are no longer managed. A folder
     * under the name of a create whose outcome was unknown is taken when `mayTake` says so.
     */
    reconcile(snapshot: UserSnapshot, mayTake: (folder: MailboxStatus) => boolean): void {
        const index = indexOf(snapshot);
        for (const [guid, folder] of this.folders) {
            const live = index.byGuid.get(guid);
            if (!live) this.folders.delete(guid);
            else {
                folder.name = live.name;
                folder.messages = live.messages;
                folder.subscribed = index.subscribed.has(live.name);
            }
        }
        // Creates whose outcome was unknown: a folder under that name now was made by this set, if it
        // carries the set's tag, or is empty (a create cut off by the server can leave its folder made
        // with a GUID of the server's own; taking an empty one loses nobody's messages).
        for (const name of this.unconfirmed) {
            const live = index.byName.get(name);
            if (live && !this.folders.has(live.guid) && mayTake(live)) this.take(name, live.guid, snapshot);
            this.unconfirmed.delete(name);
        }
    }

    take(declaredName: string, guid: string, snapshot: UserSnapshot): void {
        const index = indexOf(snapshot);
        const live = index.byGuid.get(guid);
        this.folders.set(guid, {
            name: live?.name ?? declaredName,
            declaredName,
            guid,
            subscribed: live ? index.subscribed.has(live.name) : false,
            messages: live?.messages ?? 0,
        });
    }

    /** The folders, in the order the program declares them (undeclared ones last). */
    list(order: readonly FolderSpec[]): ManagedFolder[] {
        const ranks = new Map(order.map((spec, i) => [spec.name, i]));
        const rank = (f: ManagedFolder) => ranks.get(f.declaredName) ?? order.length;
        return [...this.folders.values()].map((f) => ({ ...f })).sort((a, b) => rank(a) - rank(b));
    }
}

/** The changes an apply makes; folders kept (or carried along by a parent's rename) need none. */
interface Plan {
    /** Explicit renames, parents first. */
    rename: Array<{ guid: string; to: string }>;
    /** Folders to make. */
    create: FolderSpec[];
    /** Existing folders to take over (adopt, INBOX, or an unconfirmed create of this set). */
    takeOver: Array<{ spec: FolderSpec; guid: string }>;
    /** Managed folders no longer declared, by GUID. */
    remove: string[];
    /**
     * Managed folders no longer declared here that another resource of the program declares, by GUID:
     * forgotten, not deleted (deleting them would undo the other).
     */
    release: string[];
    /** Which managed folder each declared name ends up as. */
    claimed: Map<string, string>;
}

function depth(name: string, separator: string): number {
    return name.split(separator).length;
}

/** Plans an apply against `snapshot`; refuses (changing nothing) what it must not do. */
function plan(inputs: FolderSetInputs, ledger: Ledger, snapshot: UserSnapshot, separator: string): Plan {
    const result: Plan = {
        rename: [],
        create: [],
        takeOver: [],
        remove: [],
        release: [],
        claimed: new Map(),
    };
    const managed = [...ledger.folders.values()];
    const unclaimed = new Set(managed);
    const claim = (folder: ManagedFolder | undefined, spec: FolderSpec) => {
        if (!folder || !unclaimed.has(folder)) return false;
        unclaimed.delete(folder);
        result.claimed.set(spec.name, folder.guid);
        return true;
    };
    const problems: string[] = [];
    const open: FolderSpec[] = [];
    const index = indexOf(snapshot);
    const byName = new Map(managed.map((f) => [f.name, f]));
    const byDeclared = new Map(managed.map((f) => [f.declaredName, f]));
    const ifUnclaimed = (f: ManagedFolder | undefined) => (f && unclaimed.has(f) ? f : undefined);
    // Folders already where they are declared, then folders the program renames.
    for (const spec of inputs.folders) if (!claim(byName.get(spec.name), spec)) open.push(spec);
    const pendingSpecs: FolderSpec[] = [];
    for (const spec of open) {
        const source =
            (spec.renamedFrom !== undefined ? ifUnclaimed(byName.get(spec.renamedFrom)) : undefined) ??
            ifUnclaimed(byDeclared.get(spec.name));
        if (source && claim(source, spec)) result.rename.push({ guid: source.guid, to: spec.name });
        else pendingSpecs.push(spec);
    }
    // A rename carries the children along: where each managed folder will be after the renames.
    const names = snapshot.mailboxes.map((m) => m.name);
    const virtual = new Map(managed.map((f) => [f.guid, f.name]));
    result.rename.sort(
        (a, b) => depth(virtual.get(a.guid) ?? "", separator) - depth(virtual.get(b.guid) ?? "", separator),
    );
    for (const { guid, to } of result.rename) {
        const from = virtual.get(guid) as string;
        if (from === to) continue;
        const target = index.byName.get(to);
        if (target && target.guid !== guid) {
            problems.push(`cannot rename ${JSON.stringify(from)} to ${JSON.stringify(to)}: that name exists`);
        }
        if (isWithin(to, from, separator)) {
            problems.push(
                `cannot rename ${JSON.stringify(from)} into its own subfolder ${JSON.stringify(to)}`,
            );
        }
        const tooLong = renameProblem(names, from, to, separator);
        if (tooLong)
            problems.push(`cannot rename ${JSON.stringify(from)} to ${JSON.stringify(to)}: ${tooLong}`);
        for (const [other, name] of virtual) virtual.set(other, movedName(name, from, to, separator));
    }
    const afterRenames = new Map<string, ManagedFolder>();
    for (const folder of managed) {
        const name = virtual.get(folder.guid);
        if (name !== undefined && unclaimed.has(folder)) afterRenames.set(name, folder);
    }
    for (const spec of pendingSpecs) {
        // Carried to its declared name by a parent's rename.
        if (claim(ifUnclaimed(afterRenames.get(spec.name)), spec)) continue;
        const existing = index.byName.get(spec.name);
        if (existing) {
            // Besides an adopted one: a folder this set made in a run whose state was lost (its GUID
            // carries the set's tag); never one another resource of the stack made.
            const own = inputs.creator !== undefined && ownedBy(inputs.creator, inputs.user, existing.guid);
            const ofStack = !own && ownedByOtherOfStack(inputs.creator, inputs.user, existing.guid);
            if (own || isInbox(spec.name) || (inputs.adopt && !ofStack)) {
                result.takeOver.push({ spec, guid: existing.guid });
                result.claimed.set(spec.name, existing.guid);
            } else if (ofStack) {
                problems.push(
                    `${JSON.stringify(spec.name)} already exists, made by another resource of this stack (its GUID says so), which may still declare it: adopt never takes it over; declare the folder in one resource only`,
                );
            } else {
                problems.push(
                    `${JSON.stringify(spec.name)} already exists and this set did not create it (set adopt: true to take it over with its messages)`,
                );
            }
        } else result.create.push(spec);
    }
    for (const left of unclaimed) {
        // Declared by another resource of the program now: forgotten here, left as it is.
        if (declaredElsewhere(folderClaim(inputs.server, inputs.user, left.name, "folders"))) {
            result.release.push(left.guid);
            continue;
        }
        if (left.messages > 0 && !inputs.forceDestroy && !isInbox(left.name)) {
            const count = `${left.messages} message${left.messages === 1 ? "" : "s"}`;
            const own = inputs.creator !== undefined && ownedBy(inputs.creator, inputs.user, left.guid);
            // forceDestroy is advised only for a folder this set made: one it took over may be someone
            // else's still.
            problems.push(
                own || (!inputs.adopt && inputs.creator === undefined)
                    ? `${JSON.stringify(left.name)} holds ${count} (move them, or set forceDestroy: true to delete it with them)`
                    : `${JSON.stringify(left.name)} holds ${count} and this set took it over rather than made it, so another stack, program or person may still use it (move the messages elsewhere first, or keep the folder in the list)`,
            );
        }
        result.remove.push(left.guid);
    }
    if (problems.length > 0) {
        throw new DoveadmConflictError(
            "DOVEADM_FOLDERSET_REFUSED",
            { command: "mailboxCreate/mailboxRename/mailboxDelete", user: inputs.user },
            `nothing was changed: ${problems.join("; ")}`,
            "Correct the folder list (or set the flag named above) and run again.",
        );
    }
    return result;
}

/** Runs `work` for each item, all at once (the client merges them); the first failure is rethrown after all settle. */
async function each<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(items.map(work));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
}

/** Which folder under the name of a create whose outcome was unknown the set takes: its own, or an empty one. */
function takeable(inputs: FolderSetInputs): (folder: MailboxStatus) => boolean {
    return (folder) =>
        (inputs.creator !== undefined && ownedBy(inputs.creator, inputs.user, folder.guid)) ||
        (folder.messages === 0 && !ownedByOtherOfStack(inputs.creator, inputs.user, folder.guid));
}

/**
 * Sends the plan's renames (parents first), as few requests as their order allows, and records each
 * one done in `ledger`. A request holds renames whose names no earlier rename of the same request
 * makes or frees, so each rename in it does the same whether the others succeed or not; the first
 * failure is thrown once the request's renames that were done are recorded, and nothing after that
 * request is sent.
 */
async function renameAll(
    client: DoveadmClient,
    user: string,
    renames: ReadonlyArray<{ guid: string; to: string }>,
    ledger: Ledger,
    separator: string,
): Promise<void> {
    // Where each folder will be after the renames before it, as the sequential plan has it.
    const names = new Map([...ledger.folders].map(([guid, folder]) => [guid, folder.name]));
    const requests: Array<Array<{ guid: string; from: string; to: string }>> = [];
    let current: Array<{ guid: string; from: string; to: string }> = [];
    const touches = (name: string, r: { from: string; to: string }) =>
        [r.from, r.to].some(
            (n) => n === name || isWithin(name, n, separator) || isWithin(n, name, separator),
        );
    for (const { guid, to } of renames) {
        const from = names.get(guid) as string;
        if (from !== to) {
            if (current.length >= MAX_BATCH || current.some((r) => touches(from, r) || touches(to, r))) {
                requests.push(current);
                current = [];
            }
            current.push({ guid, from, to });
            for (const [other, name] of names) names.set(other, movedName(name, from, to, separator));
        } else (ledger.folders.get(guid) as ManagedFolder).declaredName = to;
    }
    if (current.length > 0) requests.push(current);
    for (const request of requests) {
        const results = await client.renameMailboxes(user, request);
        let failure: DoveadmError | undefined;
        for (const [i, { guid, from, to }] of request.entries()) {
            const error = results[i];
            if (error === undefined) {
                ledger.moved(from, to, separator);
                (ledger.folders.get(guid) as ManagedFolder).declaredName = to;
            } else failure ??= renameFailure(error, user, from, to);
        }
        if (failure) throw failure;
    }
}

/** A rename's failure, with the advice of a name the server's storage refuses (exit 64). */
function renameFailure(error: DoveadmError, user: string, from: string, to: string): DoveadmError {
    if (error instanceof DoveadmUsageError && error.exitCode === 64) {
        return new DoveadmUsageError(
            "DOVEADM_INVALID_NAME",
            { command: "mailboxRename", user, mailbox: [from, to] },
            "the server rejected the new name (exit 64)",
            "Choose a name the server's mail storage accepts (with the Maildir++ layout a name must not contain '.'), keeping renamedFrom, and run again.",
            { exitCode: error.exitCode },
        );
    }
    return error;
}

/** Applies `inputs` to the folders in `ledger`, updating it after every step that succeeds. */
async function apply(client: DoveadmClient, inputs: FolderSetInputs, ledger: Ledger): Promise<void> {
    const { user } = inputs;
    const separator = client.settings.separator;
    const before = await client.snapshot(user, 0);
    ledger.reconcile(before, takeable(inputs));
    const steps = plan(inputs, ledger, before, separator);
    const beforeIndex = indexOf(before);
    const subscribedBefore = (name: string) => beforeIndex.subscribed.has(name);

    for (const { spec, guid } of steps.takeOver) ledger.take(spec.name, guid, before);
    for (const guid of steps.release) ledger.folders.delete(guid);
    // A rename the server refuses is thrown once the subscriptions of the renames done are moved.
    const renamed = await renameAll(client, user, steps.rename, ledger, separator).then(
        () => undefined,
        (error: unknown) => ({ error }),
    );
    // Folders carried along by a parent's rename keep their subscription under the old name only
    // (the old names' unsubscribes go out together, in one request).
    const unsubscribed = each([...ledger.folders.values()], async (folder) => {
        const original = beforeIndex.byGuid.get(folder.guid)?.name;
        if (original !== undefined && original !== folder.name) {
            folder.subscribed = subscribedBefore(folder.name);
            if (subscribedBefore(original)) await client.setSubscribed(user, original, false);
        }
    });
    if (renamed) {
        // The rename's failure is the one to report; an old name left subscribed is named by no error.
        await unsubscribed.catch(() => undefined);
        throw renamed.error;
    }
    await unsubscribed;
    // The creates go out in one request with the new folders' subscriptions, set after the renames
    // into place (a create refused for good has its subscription put back as the look found it).
    await each(steps.create, async (spec) => {
        const before = subscribedBefore(spec.name);
        const change = spec.subscribed === before ? undefined : spec.subscribed;
        ledger.unconfirmed.add(spec.name);
        try {
            const { status, subscriptionError } = await client.createOrTake(user, {
                name: spec.name,
                guid: inputs.creator === undefined ? undefined : ownedGuid(inputs.creator, user),
                subscribed: change,
            });
            ledger.unconfirmed.delete(spec.name);
            ledger.folders.set(status.guid, {
                name: status.name,
                declaredName: spec.name,
                guid: status.guid,
                // A subscription that failed is set again below, alone.
                subscribed: change === undefined || subscriptionError !== undefined ? before : change,
                messages: status.messages,
            });
        } catch (error) {
            if (!outcomeUnknown(error)) ledger.unconfirmed.delete(spec.name);
            if (isExists(error) && error instanceof DoveadmConflictError) {
                throw new DoveadmConflictError(
                    "DOVEADM_MAILBOX_EXISTS",
                    error.context,
                    "the folder was created by someone else at the same moment (another stack or client); this set does not manage it",
                    "Set adopt: true to take it over, or remove it from one of the programs that declare it.",
                    { exitCode: 65 },
                );
            }
            throw error;
        }
    });
    await each(steps.remove, async (guid) => {
        const folder = ledger.folders.get(guid) as ManagedFolder;
        if (isInbox(folder.name)) {
            ledger.folders.delete(guid); // INBOX is never deleted, only forgotten.
            return;
        }
        // Found by its GUID in the look the plan was made against, deleted and unsubscribed in one
        // request with the user's other deletes; one already gone counts as deleted.
        try {
            await client.remove(user, {
                name: folder.name,
                guid,
                requireEmpty: !inputs.forceDestroy,
                unsubscribe: folder.subscribed,
                refuse: (name, messages) =>
                    mailboxNotEmpty(
                        user,
                        name,
                        messages,
                        "Move the messages elsewhere first, or allow deleting them (forceDestroy: true) and run again.",
                    ),
            });
        } catch (error) {
            if (!(error instanceof DoveadmNotFoundError)) throw error;
        }
        ledger.folders.delete(guid);
    });
    const managedByName = new Map([...ledger.folders.values()].map((f) => [f.name, f]));
    await each(inputs.folders, async (spec) => {
        const folder = ledger.folders.get(steps.claimed.get(spec.name) ?? "") ?? managedByName.get(spec.name);
        if (!folder || folder.subscribed === spec.subscribed) return;
        await client.setSubscribed(user, folder.name, spec.subscribed);
        folder.subscribed = spec.subscribed;
    });
    // The ledger now holds what each step did (created folders as read back in their own request):
    // no snapshot after.
}

/**
 * Applies `inputs`. If that fails after something may have changed, records (as a partial failure,
 * which Pulumi keeps in the state) the ledger: every folder the set managed before and every folder
 * it made, brought up to date from a fresh snapshot when the server can still be read, else as far
 * as known, with the creates whose outcome is unknown, so the next `up` (or `destroy`) goes on from
 * there instead of orphaning folders.
 */
async function applyRecorded(
    id: string,
    inputs: FolderSetInputs,
    previous: FolderSetOutputs | undefined,
    engineInputs: object,
): Promise<FolderSetOutputs> {
    const client = clientFor(inputs.server);
    const ledger = Ledger.from(previous);
    try {
        await apply(client, inputs, ledger);
        return { ...inputs, endpoint: endpointOf(inputs.server), mailboxes: ledger.list(inputs.folders) };
    } catch (error) {
        if (error instanceof DoveadmNoUserError) throw unknownUser(error, "FolderSet");
        if (error instanceof DoveadmConflictError && error.code === "DOVEADM_FOLDERSET_REFUSED") throw error;
        const after = await client.snapshot(inputs.user, 0).catch(() => undefined);
        if (after) ledger.reconcile(after, takeable(inputs));
        const record: FolderSetOutputs = {
            ...inputs,
            endpoint: endpointOf(inputs.server),
            mailboxes: ledger.list(inputs.folders),
            ...(ledger.unconfirmed.size > 0 ? { unconfirmed: [...ledger.unconfirmed] } : {}),
        };
        throw new PartialFailureError(id, record, error, engineInputs);
    }
}

/** The inputs a record stands for (what refresh tells the engine the program would need to declare). */
function inputsOfRecord(props: FolderSetOutputs): Record<string, unknown> {
    return {
        user: props.user,
        folders: props.folders,
        forceDestroy: props.forceDestroy,
        adopt: props.adopt,
        ...(props.server === undefined ? {} : { server: props.server }),
        ...(props.creator === undefined ? {} : { creator: props.creator }),
    };
}

/** The FolderSet provider's methods. */
export const folderSetHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: Record<string, unknown>) {
        return checkInputs(folderSetInputShape(separatorOf(serverOf(news))), news, (inputs, declarer) => {
            const failures = serverFailures(inputs);
            const { user, server, folders } = inputs;
            if (failures.length > 0 || !known(user, server) || !Array.isArray(folders)) return failures;
            const targets = (folders as Array<{ name: unknown }>)
                .filter((folder) => known(folder.name))
                .flatMap((folder) => {
                    const where = [
                        server as string | undefined,
                        user as string,
                        folder.name as string,
                    ] as const;
                    return [folderClaim(...where, "folders"), subscriptionClaim(...where, "folders")];
                });
            return claim({ kind: "FolderSet", ...declarer }, targets);
        });
    },

    async diff(id, oldProps, news: FolderSetInputs) {
        const olds = recorded("diff", id, oldProps);
        if (news.folders === (UNKNOWN as unknown)) return { changes: true, replaces: [] };
        let replaces: string[] = [];
        const move = moveOf(olds.endpoint, news.server);
        if (olds.server !== news.server || move) {
            // The same folders (by GUID) seen through another server (a proxy, or the same server under
            // a new name): nothing moves.
            const same =
                olds.user === news.user &&
                (await sameFolderOn(
                    news.server,
                    news.user,
                    olds.mailboxes.map((m) => m.guid),
                ));
            if (!same) {
                replaces = [olds.server !== news.server ? "server" : "endpoint"];
                if (move) {
                    const names = olds.mailboxes.map((m) => JSON.stringify(m.name)).join(", ");
                    await warnMoved(
                        "FolderSet",
                        `the folders ${names} of user ${JSON.stringify(olds.user)}`,
                        news.server,
                        move,
                    );
                }
            }
        } else if (olds.user !== news.user) {
            const same =
                (news.user as unknown) !== UNKNOWN &&
                (await sameAccount(clientFor(news.server), olds.user, news.user));
            if (!same) replaces = ["user"];
        }
        const declared = (folders: FolderSpec[]) =>
            folders
                .map((f) => ({ name: f.name, subscribed: f.subscribed }))
                .sort((a, b) => a.name.localeCompare(b.name));
        const current = olds.mailboxes
            .map((m) => ({ name: m.name, subscribed: m.subscribed }))
            .sort((a, b) => a.name.localeCompare(b.name));
        const changes =
            replaces.length > 0 ||
            move !== undefined ||
            olds.server !== news.server ||
            olds.user !== news.user ||
            (olds.unconfirmed ?? []).length > 0 ||
            !isDeepStrictEqual(declared(news.folders), current) ||
            !isDeepStrictEqual(declared(news.folders), declared(olds.folders)) ||
            olds.forceDestroy !== news.forceDestroy ||
            olds.adopt !== news.adopt;
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: FolderSetInputs) {
        const id = `${inputs.user}#${Date.now().toString(36)}`;
        return { id, outs: await applyRecorded(id, inputs, undefined, inputs) };
    },

    async read(id, props) {
        const olds = recorded("read", id, props);
        let snapshot: UserSnapshot;
        try {
            snapshot = await clientFor(olds.server).snapshot(olds.user);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "FolderSet");
            throw error;
        }
        const mailboxes: ManagedFolder[] = [];
        const index = indexOf(snapshot);
        // Recorded at an endpoint its server no longer points at: what is missing here is not known to
        // be gone, so the record stays as it is until `up` (which says so).
        const move = moveOf(olds.endpoint, olds.server);
        if (move && olds.mailboxes.some((folder) => !index.byGuid.has(folder.guid)))
            return { id, props: olds, inputs: inputsOfRecord(olds) };
        for (const folder of olds.mailboxes) {
            const status = index.byGuid.get(folder.guid);
            if (!status) continue; // gone: the next `up` creates it again
            mailboxes.push({
                name: status.name,
                declaredName: folder.declaredName,
                guid: status.guid,
                subscribed: index.subscribed.has(status.name),
                messages: status.messages,
            });
        }
        const folders = mailboxes.map((m) => ({ name: m.name, subscribed: m.subscribed }));
        const refreshed = { ...olds, endpoint: endpointOf(olds.server), folders, mailboxes };
        return { id, props: refreshed, inputs: inputsOfRecord(refreshed) };
    },

    async update(id, oldProps, news: FolderSetInputs) {
        const olds = recorded("update", id, oldProps);
        return { outs: await applyRecorded(id, news, olds, news) };
    },

    async delete(id, props) {
        const olds = recorded("delete", id, props);
        const move = moveOf(olds.endpoint, olds.server);
        if (move) {
            const what = `the folders of user ${JSON.stringify(olds.user)} (${olds.mailboxes.map((m) => JSON.stringify(m.name)).join(", ")})`;
            await leaveAlone("FolderSet", { what, key: [], property: "folders" }, olds.server, olds.endpoint);
            return;
        }
        const ledger = Ledger.from(olds);
        try {
            await apply(clientFor(olds.server), { ...olds, folders: [] }, ledger);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) return departedUser(error, "FolderSet");
            throw error;
        }
    },
};
