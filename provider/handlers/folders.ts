// CRUD for one user's whole folder layout as one resource: for fleets where thousands of Mailbox
// resources are themselves the cost (state size, engine steps). Folders are tracked by GUID like
// Mailbox, so refresh sees renames made behind Pulumi's back and the next `up` renames them back.
// Every change is planned and checked against one snapshot of the user before anything is sent:
// a folder that holds messages is never deleted without forceDestroy, and nothing is taken over
// without adopt.
import type * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { DoveadmClient, MailboxStatus, UserSnapshot } from "../client/client";
import { DoveadmConflictError, DoveadmError, DoveadmNoUserError } from "../client/errors";
import { UNKNOWN, checkInputs } from "../check";
import { currentClient, currentSeparator } from "../connection";
import { isInbox, isWithin, mailboxNameSchema, userSchema } from "../names";
import { unknownUser } from "./no-user";
import { PartialFailureError } from "./partial";

/** The inputs of a FolderSet. */
export function folderSetInputShape(separator: string) {
    const name = z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator));
    return {
        user: z.string({ error: "must be a string" }).pipe(userSchema),
        folders: z
            .array(
                z.object({
                    name,
                    subscribed: z.boolean({ error: "must be true or false" }).default(true),
                    renamedFrom: name.optional(),
                }),
                { error: "must be a list of { name, subscribed?, renamedFrom? }" },
            )
            .superRefine((folders, ctx) => {
                const seen = new Set<string>();
                for (const folder of folders) {
                    if (seen.has(folder.name))
                        ctx.addIssue({
                            code: "custom",
                            message: `lists ${JSON.stringify(folder.name)} twice`,
                        });
                    seen.add(folder.name);
                }
            }),
        forceDestroy: z.boolean({ error: "must be true or false" }).default(false),
        adopt: z.boolean({ error: "must be true or false" }).default(false),
    };
}

/** One declared folder. */
export interface FolderSpec {
    name: string;
    subscribed: boolean;
    renamedFrom?: string;
}

/** A FolderSet's inputs. */
export interface FolderSetInputs {
    user: string;
    folders: FolderSpec[];
    forceDestroy: boolean;
    adopt: boolean;
}

/** One managed folder as last seen on the server. */
export interface ManagedFolder {
    /** Its name on the server. */
    name: string;
    /** Its name in the program when last applied (differs from `name` after an out-of-band rename). */
    declaredName: string;
    guid: string;
    subscribed: boolean;
    messages: number;
}

/** A FolderSet's outputs. */
export interface FolderSetOutputs extends FolderSetInputs {
    mailboxes: ManagedFolder[];
    /**
     * Names this set asked the server to create without learning whether it did (the server went
     * away): the next apply takes them over if they exist, since nobody else was meant to make them.
     */
    unconfirmed?: string[];
}

/** The changes an apply makes; folders kept or taken over as they are need none. */
interface Plan {
    rename: Array<{ spec: FolderSpec; current: ManagedFolder }>;
    create: FolderSpec[];
    remove: ManagedFolder[];
}

function plan(
    inputs: FolderSetInputs,
    recorded: ManagedFolder[],
    snapshot: UserSnapshot,
    unconfirmed: readonly string[],
): Plan {
    const result: Plan = { rename: [], create: [], remove: [] };
    // Where each recorded folder is now, by GUID; those gone are simply no longer managed.
    const current = recorded.flatMap((folder) => {
        const live = snapshot.mailboxes.find((m) => m.guid === folder.guid);
        return live ? [{ ...folder, name: live.name, messages: live.messages }] : [];
    });
    const unclaimed = new Set(current);
    const claim = (match: ManagedFolder | undefined) => {
        if (match && unclaimed.has(match)) {
            unclaimed.delete(match);
            return match;
        }
        return undefined;
    };
    const problems: string[] = [];
    for (const spec of inputs.folders) {
        if (claim(current.find((c) => c.name === spec.name))) continue;
        const moved = claim(
            current.find((c) => spec.renamedFrom !== undefined && c.name === spec.renamedFrom) ??
                current.find((c) => c.declaredName === spec.name),
        );
        const existing = snapshot.mailboxes.find((m) => m.name === spec.name);
        if (moved) {
            if (existing)
                problems.push(
                    `cannot rename ${JSON.stringify(moved.name)} to ${JSON.stringify(spec.name)}: that name exists`,
                );
            if (isWithin(spec.name, moved.name, currentSeparator())) {
                problems.push(
                    `cannot rename ${JSON.stringify(moved.name)} into its own subfolder ${JSON.stringify(spec.name)}`,
                );
            }
            result.rename.push({ spec, current: moved });
        } else if (existing) {
            const mayTakeOver = inputs.adopt || isInbox(spec.name) || unconfirmed.includes(spec.name);
            if (!mayTakeOver)
                problems.push(
                    `${JSON.stringify(spec.name)} already exists (set adopt: true to take it over with its messages)`,
                );
        } else result.create.push(spec);
    }
    for (const left of unclaimed) {
        if (left.messages > 0 && !inputs.forceDestroy && !isInbox(left.name)) {
            problems.push(
                `${JSON.stringify(left.name)} holds ${left.messages} message${left.messages === 1 ? "" : "s"} (move them, or set forceDestroy: true to delete it with them)`,
            );
        }
        result.remove.push(left);
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

function managed(spec: FolderSpec, status: MailboxStatus, snapshot: UserSnapshot): ManagedFolder {
    return {
        name: status.name,
        declaredName: spec.name,
        guid: status.guid,
        subscribed: snapshot.subscriptions.includes(status.name),
        messages: status.messages,
    };
}

/** What an apply was about to create, for the record when it fails half-way. */
interface Progress {
    creating: string[];
}

async function apply(
    client: DoveadmClient,
    inputs: FolderSetInputs,
    current: ManagedFolder[],
    unconfirmed: readonly string[] = [],
    progress: Progress = { creating: [] },
): Promise<ManagedFolder[]> {
    const { user } = inputs;
    const before = await client.snapshot(user, 0);
    const steps = plan(inputs, current, before, unconfirmed);
    progress.creating = steps.create.map((spec) => spec.name);
    for (const { spec, current: from } of steps.rename)
        await client.mailboxRename(user, from.name, spec.name, { guid: from.guid });
    await Promise.all(steps.create.map((spec) => client.createMailbox(user, spec.name)));
    await Promise.all(
        steps.remove
            .filter((folder) => !isInbox(folder.name))
            .map((folder) => client.deleteMailbox(user, folder.name, { requireEmpty: !inputs.forceDestroy })),
    );
    const subscriptionChanges: Array<Promise<void>> = [];
    for (const spec of inputs.folders) {
        const was = before.subscriptions.includes(spec.name);
        if (was !== spec.subscribed)
            subscriptionChanges.push(client.setSubscribed(user, spec.name, spec.subscribed));
    }
    for (const { current: from } of steps.rename) {
        // Subscriptions do not follow a rename on the server.
        if (before.subscriptions.includes(from.name))
            subscriptionChanges.push(client.setSubscribed(user, from.name, false));
    }
    for (const folder of steps.remove) {
        if (!isInbox(folder.name) && folder.subscribed)
            subscriptionChanges.push(client.setSubscribed(user, folder.name, false));
    }
    await Promise.all(subscriptionChanges);
    const after = await client.snapshot(user, 0);
    const result: ManagedFolder[] = [];
    for (const spec of inputs.folders) {
        const status = after.mailboxes.find((m) => m.name === spec.name);
        if (status) result.push(managed(spec, status, after));
    }
    return result;
}

/**
 * Applies `inputs`; if that fails after something may have changed, records (as a partial failure,
 * which Pulumi keeps in the state) what exists now, or, if the server cannot even be read, which
 * creates went unconfirmed, so the next `up` goes on from there instead of orphaning folders.
 */
async function applyRecorded(
    id: string,
    inputs: FolderSetInputs,
    recorded: ManagedFolder[],
    unconfirmed: readonly string[],
): Promise<FolderSetOutputs> {
    const client = currentClient();
    const progress: Progress = { creating: [] };
    try {
        return { ...inputs, mailboxes: await apply(client, inputs, recorded, unconfirmed, progress) };
    } catch (error) {
        if (error instanceof DoveadmNoUserError) throw unknownUser(error, "FolderSet");
        if (error instanceof DoveadmConflictError && error.code === "DOVEADM_FOLDERSET_REFUSED") throw error;
        if (error instanceof DoveadmError && error.fatal) throw error;
        const after = await client.snapshot(inputs.user, 0).catch(() => undefined);
        if (after) {
            const made = inputs.folders.flatMap((spec) => {
                const status = after.mailboxes.find((m) => m.name === spec.name);
                return status ? [managed(spec, status, after)] : [];
            });
            throw new PartialFailureError(id, { ...inputs, mailboxes: made }, error);
        }
        const pending = [...new Set([...unconfirmed, ...progress.creating])];
        throw new PartialFailureError(id, { ...inputs, mailboxes: recorded, unconfirmed: pending }, error);
    }
}

/** The FolderSet provider's methods. */
export const folderSetHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        return checkInputs(folderSetInputShape(currentSeparator()), news);
    },

    async diff(_id, olds: FolderSetOutputs, news: FolderSetInputs) {
        if (news.folders === (UNKNOWN as unknown)) return { changes: true, replaces: [] };
        const replaces = olds.user !== news.user ? ["user"] : [];
        const declared = (folders: FolderSpec[]) =>
            folders
                .map((f) => ({ name: f.name, subscribed: f.subscribed }))
                .sort((a, b) => a.name.localeCompare(b.name));
        const current = olds.mailboxes
            .map((m) => ({ name: m.name, subscribed: m.subscribed }))
            .sort((a, b) => a.name.localeCompare(b.name));
        const changes =
            replaces.length > 0 ||
            (olds.unconfirmed ?? []).length > 0 ||
            !isDeepStrictEqual(declared(news.folders), current) ||
            !isDeepStrictEqual(declared(news.folders), declared(olds.folders)) ||
            olds.forceDestroy !== news.forceDestroy ||
            olds.adopt !== news.adopt;
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: FolderSetInputs) {
        const id = `${inputs.user}#${Date.now().toString(36)}`;
        return { id, outs: await applyRecorded(id, inputs, [], []) };
    },

    async read(id, props: FolderSetOutputs) {
        let snapshot: UserSnapshot;
        try {
            snapshot = await currentClient().snapshot(props.user);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "FolderSet");
            throw error;
        }
        const mailboxes: ManagedFolder[] = [];
        for (const folder of props.mailboxes ?? []) {
            const status = snapshot.mailboxes.find((m) => m.guid === folder.guid);
            if (!status) continue; // gone: the next `up` creates it again
            mailboxes.push({
                ...managed({ name: folder.declaredName, subscribed: folder.subscribed }, status, snapshot),
            });
        }
        const folders = mailboxes.map((m) => ({ name: m.name, subscribed: m.subscribed }));
        const props2 = { ...props, folders, mailboxes };
        return {
            id,
            props: props2,
            inputs: { user: props.user, folders, forceDestroy: props.forceDestroy, adopt: props.adopt },
        };
    },

    async update(id, olds: FolderSetOutputs, news: FolderSetInputs) {
        return { outs: await applyRecorded(id, news, olds.mailboxes ?? [], olds.unconfirmed ?? []) };
    },

    async delete(_id, props: FolderSetOutputs) {
        try {
            const client = currentClient();
            let recorded = props.mailboxes ?? [];
            if ((props.unconfirmed ?? []).length > 0) {
                // Creates that went unconfirmed may have happened: those folders are this set's too.
                const now = await client.snapshot(props.user, 0);
                for (const name of props.unconfirmed ?? []) {
                    const status = now.mailboxes.find((m) => m.name === name);
                    if (status && !recorded.some((m) => m.guid === status.guid)) {
                        recorded = [...recorded, managed({ name, subscribed: false }, status, now)];
                    }
                }
            }
            await apply(client, { ...props, folders: [] }, recorded);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "FolderSet");
            throw error;
        }
    },
};
