// CRUD for one IMAP folder of one user. The mailbox is identified by its GUID, which survives
// renames, so refresh finds a mailbox renamed behind Pulumi's back. A create chooses the GUID (see
// ownership.ts), so a rerun after lost state knows the folder it made; the folder is made with it
// under a temporary name of its own and renamed into place (see Scheduler.runCreates). Nothing
// here deletes a message unless forceDestroy is set, and INBOX is never deleted or renamed.
import type * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { CreateResult, DoveadmClient, MailboxStatus } from "../../client/client";
import {
    DoveadmConflictError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
    DoveadmUsageError,
    ErrorContext,
    outcomeUnknown,
} from "../../client/errors";
import { isExists, mailboxNotEmpty } from "../../client/scheduler";
import { UNKNOWN, checkInputs } from "../../check";
import { claim, declaredElsewhere, folderClaim, known, subscriptionClaim } from "../../claims";
import { clientFor, separatorOf } from "../../connection";
import { isInbox, isWithin, perSeparator, renameProblem } from "../../names";
import { ownedBy, ownedByOtherOfStack, ownedGuid, sameCreator } from "../../ownership";
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
import { MailboxInputs, MailboxOutputs, mailboxInputShape, mailboxOutputShape } from "./schema";

/** The recorded outputs, as read back from Pulumi's state (see state.ts). */
const recordedShape = perSeparator((separator: string) =>
    z.object({ ...mailboxInputShape(separator), ...mailboxOutputShape() }),
);

/** A Mailbox id: its GUID, or for a create whose outcome is unknown a provisional `pending-…` id. */
const idSchema = z
    .string()
    .regex(/^(pending-)?[0-9a-f]{32}$/, "must be a mailbox GUID (32 hexadecimal digits) or a pending-… id");

/** The recorded outputs of a Mailbox, validated, and its id. */
function recorded(method: string, id: string | undefined, props: unknown): MailboxOutputs {
    const separator = separatorOf(serverOf(props));
    if (id !== undefined) fromState("Mailbox", method, id, { id }, z.object({ id: idSchema }));
    return fromState("Mailbox", method, id, props, recordedShape(separator));
}

function outputs(inputs: MailboxInputs, status: MailboxStatus): MailboxOutputs {
    return {
        user: inputs.user,
        name: status.name,
        subscribed: inputs.subscribed,
        forceDestroy: inputs.forceDestroy,
        adopt: inputs.adopt,
        ...(inputs.server === undefined ? {} : { server: inputs.server }),
        endpoint: endpointOf(inputs.server),
        // No `creator`: a mailbox with a GUID is known by it. Only a pending record keeps it (see
        // pendingOutputs), which is also what keeps the state of a thousand mailboxes small.
        guid: status.guid,
        messages: status.messages,
        unseen: status.unseen,
        uidValidity: status.uidValidity,
        uidNext: status.uidNext,
        highestModSeq: status.highestModSeq,
        vsize: status.vsize,
    };
}

function inputsOf(props: MailboxOutputs): MailboxInputs {
    return {
        user: props.user,
        name: props.name,
        subscribed: props.subscribed,
        forceDestroy: props.forceDestroy,
        adopt: props.adopt,
        ...(props.server === undefined ? {} : { server: props.server }),
        ...(props.creator === undefined ? {} : { creator: props.creator }),
    };
}

/** The outputs recorded for a mailbox whose creation may or may not have happened: no GUID yet. */
function pendingOutputs(inputs: MailboxInputs): MailboxOutputs {
    return {
        ...inputsOf(inputs as MailboxOutputs),
        endpoint: endpointOf(inputs.server),
        guid: "",
        messages: 0,
        unseen: 0,
        uidValidity: 0,
        uidNext: 0,
        highestModSeq: 0,
        vsize: 0,
    };
}

/** True for a resource recorded by an interrupted create (its GUID output is still empty). */
function pending(props: MailboxOutputs): boolean {
    return props.guid === "";
}

/**
 * The GUID a resource stands for: its `guid` output, or for a pending record written by 0.1.0 (which
 * chose the GUID and sent it with the create) its id.
 */
function identity(id: string, props: MailboxOutputs): string | undefined {
    if (props.guid !== "") return props.guid;
    return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/** Explains a refused name (exit 64) with the storage rules that usually cause it. */
function invalidName(error: DoveadmUsageError, context: ErrorContext): DoveadmError {
    return new DoveadmUsageError(
        "DOVEADM_INVALID_NAME",
        context,
        "the server rejected the mailbox name (exit 64)",
        "Choose a name the server's mail storage accepts: with the Maildir++ layout a name must not contain '.'; then run again.",
        { exitCode: error.exitCode },
    );
}

/** The existing mailbox that this resource may not take: someone else made it. */
function ownedByOthers(user: string, name: string): DoveadmConflictError {
    return new DoveadmConflictError(
        "DOVEADM_MAILBOX_EXISTS",
        { command: "mailboxCreate", user, mailbox: name },
        "the mailbox already exists, and this stack did not create it (its GUID carries the mark of no resource of this stack): another stack, program or person manages it (if two stacks declare the same folder, only one of them may)",
        "Set adopt: true on this Mailbox to take the existing mailbox (and its messages) over, or choose another name, or remove it from one of the programs that declare it.",
        { exitCode: 65 },
    );
}

/**
 * The existing mailbox that another resource of this stack made (its GUID says so): that resource may
 * still declare it, so no other takes it over, not even with adopt.
 */
export function madeByAnotherOfStack(kind: string, user: string, name: string): DoveadmConflictError {
    return new DoveadmConflictError(
        "DOVEADM_MAILBOX_OF_STACK",
        { command: "mailboxCreate", user, mailbox: name },
        "the mailbox already exists, made by another resource of this stack (its GUID says so), which may still declare it; adopt never takes over a folder another resource of the stack made, since the two would then manage one folder and removing either would undo the other",
        `Declare the folder in one resource only: remove this ${kind} (or this folder from it), or remove the resource that made the folder. To move the folder from one resource of the stack to another, drop it from the first without deleting it (\`pulumi state delete <its URN>\`), then take it into the second with \`pulumi import\` (the dovecot package), which reads it as it is.`,
        { exitCode: 65 },
    );
}

/** Translates a create's failure into the error a user can act on. */
function createError(error: unknown, user: string, name: string, ofStack = false): unknown {
    const context = { command: "mailboxCreate", user, mailbox: name };
    if (isExists(error))
        return ofStack ? madeByAnotherOfStack("Mailbox", user, name) : ownedByOthers(user, name);
    if (error instanceof DoveadmUsageError && error.exitCode === 64) return invalidName(error, context);
    if (error instanceof DoveadmNoUserError) return unknownUser(error, "Mailbox");
    return error;
}

/** The Mailbox provider's methods, using the process's configured client. */
export const mailboxHandler: pulumi.dynamic.ResourceProvider = {
    async check(olds: Record<string, unknown> | undefined, news: Record<string, unknown>) {
        const separator = separatorOf(serverOf(news));
        return checkInputs(mailboxInputShape(separator), news, (inputs, declarer) => {
            const failures = serverFailures(inputs);
            const name = inputs.name;
            const oldName = olds?.name;
            if (typeof oldName === "string" && name !== UNKNOWN && typeof name === "string") {
                const renamed = oldName !== name && olds?.user === inputs.user;
                if (renamed && (isInbox(oldName) || isInbox(name))) {
                    failures.push({
                        property: "name",
                        reason: "INBOX cannot be renamed, and no mailbox can be renamed to INBOX; keep the name or manage another mailbox",
                    });
                } else if (renamed && isWithin(name, oldName, separator)) {
                    failures.push({
                        property: "name",
                        reason: `cannot rename ${JSON.stringify(oldName)} into its own subfolder ${JSON.stringify(name)}; create the new folder and move the messages instead`,
                    });
                }
            }
            const { user, server } = inputs;
            if (failures.length > 0 || !known(user, name, server)) return failures;
            const where = [server as string | undefined, user as string, name as string] as const;
            return claim({ kind: "Mailbox", ...declarer }, [
                folderClaim(...where, "name"),
                subscriptionClaim(...where, "subscribed"),
            ]);
        });
    },

    async diff(id, oldProps, news: MailboxInputs) {
        const olds = recorded("diff", id, oldProps);
        let replaces: string[] = [];
        const move = moveOf(olds.endpoint, news.server);
        if (olds.server !== news.server || move) {
            // Another server means another folder, unless that server shows this one (by its GUID):
            // a backend and the proxy in front of it, or one server under a new name. Then only the
            // recorded server changes.
            const same =
                olds.user === news.user &&
                !pending(olds) &&
                (await sameFolderOn(news.server, news.user, [olds.guid]));
            if (!same) {
                replaces = [olds.server !== news.server ? "server" : "endpoint"];
                if (move) {
                    const what = `the folder ${JSON.stringify(olds.name)} of user ${JSON.stringify(olds.user)}`;
                    await warnMoved(
                        "Mailbox",
                        `${what} (GUID ${olds.guid || "not known yet"})`,
                        news.server,
                        move,
                    );
                }
            }
        } else if (olds.user !== news.user) {
            // A new user means a new mailbox, unless the server resolves both names to one account
            // (say, a case-insensitive user database): then nothing is deleted, the spelling is updated.
            const same =
                (news.user as unknown) !== UNKNOWN &&
                (await sameAccount(clientFor(news.server), olds.user, news.user));
            if (!same) replaces = ["user"];
        }
        const changed =
            replaces.length > 0 ||
            move !== undefined ||
            pending(olds) ||
            olds.server !== news.server ||
            olds.user !== news.user ||
            olds.name !== news.name ||
            olds.subscribed !== news.subscribed ||
            olds.forceDestroy !== news.forceDestroy ||
            olds.adopt !== news.adopt;
        // The old mailbox goes first, since nothing else ties them.
        return { changes: changed, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: MailboxInputs) {
        const client = clientFor(inputs.server);
        const { user, name, creator } = inputs;
        const adopting = inputs.adopt || isInbox(name);
        let result: CreateResult;
        let ofStack = false;
        try {
            result = await client.createOrTake(user, {
                name,
                guid: creator === undefined || isInbox(name) ? undefined : ownedGuid(creator, user),
                subscribed: inputs.subscribed,
                // Besides an adopted one, the folder this resource made in a run whose state was lost;
                // never one another resource of the stack made.
                take: (existing) => {
                    if (creator !== undefined && ownedBy(creator, user, existing.guid)) return true;
                    ofStack = ownedByOtherOfStack(creator, user, existing.guid);
                    return adopting && !ofStack;
                },
            });
        } catch (error) {
            // Sent, but whether it ran is unknown (the server went away): record the resource as
            // pending, so the next `up` finishes it instead of leaving an unknown mailbox behind.
            if (outcomeUnknown(error)) {
                const provisional = `pending-${randomBytes(16).toString("hex")}`;
                throw new PartialFailureError(provisional, pendingOutputs(inputs), error, inputs);
            }
            throw createError(error, user, name, ofStack);
        }
        const { status, subscriptionError } = result;
        const created = outputs(inputs, status);
        // The mailbox exists: record it, so the next `up` only fixes the subscription.
        if (subscriptionError !== undefined) {
            throw new PartialFailureError(
                status.guid,
                { ...created, subscribed: !inputs.subscribed },
                subscriptionError,
                inputs,
            );
        }
        return { id: status.guid, outs: created };
    },

    async read(id, props) {
        const recordedProps = recorded("read", id, props);
        const guid = identity(id, recordedProps);
        // Pending, with no GUID to look for yet: keep the record so that the next `up` finishes it.
        if (guid === undefined) return { id, props: recordedProps, inputs: inputsOf(recordedProps) };
        const client = clientFor(recordedProps.server);
        let found: MailboxStatus | undefined;
        let subscribed: boolean;
        try {
            // One request shows every mailbox and subscription of the user, and is shared by the
            // reads of that user's other mailboxes during the same refresh.
            const snapshot = await client.snapshot(recordedProps.user);
            found =
                snapshot.mailboxes.find((m) => m.guid === guid && m.name === recordedProps.name) ??
                snapshot.mailboxes.find((m) => m.guid === guid);
            if (!found) {
                // Pending, or recorded at an endpoint its server no longer points at (the next `up`
                // says so and makes it there): kept as recorded, since it is not known to be gone.
                if (pending(recordedProps) || moveOf(recordedProps.endpoint, recordedProps.server))
                    return { id, props: recordedProps, inputs: inputsOf(recordedProps) };
                return {};
            }
            subscribed = snapshot.subscriptions.includes(found.name);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Mailbox");
            throw error;
        }
        const outs = outputs({ ...inputsOf(recordedProps), subscribed }, found);
        return { id, props: outs, inputs: inputsOf(outs) };
    },

    async update(id, oldProps, news: MailboxInputs) {
        const olds = recorded("update", id, oldProps);
        const client = clientFor(news.server);
        const { user, server } = news;
        const separator = separatorOf(server);
        // What is known to be true on the server, updated after each step that succeeds, so that a
        // failure half-way records exactly that (with the subscription left to fix next time). A new
        // `server` here names the same folder (diff saw its GUID there).
        const { server: _old, ...kept } = olds;
        let current: MailboxOutputs = {
            ...kept,
            ...(server === undefined ? {} : { server }),
            endpoint: endpointOf(server),
            user,
            forceDestroy: news.forceDestroy,
            adopt: news.adopt,
        };
        let changed = false;
        let status: MailboxStatus | undefined;
        try {
            if (pending(olds)) {
                status = await finishPending(client, id, olds, news);
                // Its subscription was never set: set it whatever the last known value says.
                current = { ...outputs(current, status), subscribed: !news.subscribed };
                changed = true;
            }
            if (current.name !== news.name) {
                if (isInbox(current.name) || isInbox(news.name)) {
                    throw new DoveadmConflictError(
                        "DOVEADM_INBOX_PROTECTED",
                        { command: "mailboxRename", user, mailbox: [current.name, news.name] },
                        "INBOX cannot be renamed",
                        "Keep the name INBOX for this resource.",
                    );
                }
                if (isWithin(news.name, current.name, separator)) {
                    throw new DoveadmUsageError(
                        "DOVEADM_RENAME_INTO_ITSELF",
                        { command: "mailboxRename", user, mailbox: [current.name, news.name] },
                        "a mailbox cannot be renamed into its own subfolder",
                        "Create the new folder and move the messages instead.",
                    );
                }
                const from = current.name;
                await renameMailbox(client, user, from, news.name, current.guid);
                // Subscriptions do not follow a rename on the server: move it by hand.
                current = { ...current, name: news.name, subscribed: !news.subscribed };
                changed = true;
                await client.setSubscribed(user, from, false);
                await client.setSubscribed(user, news.name, news.subscribed);
                current = { ...current, subscribed: news.subscribed };
                status = await client.findStatus(user, news.name);
            } else if (current.subscribed !== news.subscribed) {
                await client.setSubscribed(user, news.name, news.subscribed);
                current = { ...current, subscribed: news.subscribed };
            }
        } catch (error) {
            // Something was done (a create finished, a rename went through): record where things are.
            if (changed) throw new PartialFailureError(id, current, error, news);
            throw error;
        }
        // Without a fresh status (only flags or the subscription changed), the last counters stay.
        if (status) return { outs: outputs(news, status) };
        const { creator: _settled, ...outs } = { ...current, ...news };
        return { outs };
    },

    async delete(id, props) {
        const recordedProps = recorded("delete", id, props);
        const { user, name, creator, server } = recordedProps;
        if (isInbox(name)) return; // INBOX is never deleted: it is only forgotten.
        // Another resource of the program declares the folder (deleting it would undo that one), or
        // the server now points elsewhere: only forgotten.
        if (
            await leaveAlone(
                "Mailbox",
                folderClaim(server, user, name, "name"),
                server,
                recordedProps.endpoint,
            )
        )
            return;
        const guid = identity(id, recordedProps);
        try {
            await clientFor(server).remove(user, {
                name,
                guid,
                // Pending and never finished: a mailbox under the name is the one its create made (by
                // its GUID's tag, when the create chose one), or one it half made, which is empty (and
                // not one another resource of the stack made).
                take:
                    guid === undefined && creator !== undefined
                        ? (existing) =>
                              ownedBy(creator, user, existing.guid) ||
                              (existing.messages === 0 && !ownedByOtherOfStack(creator, user, existing.guid))
                        : undefined,
                requireEmpty: !recordedProps.forceDestroy,
                unsubscribe:
                    recordedProps.subscribed &&
                    declaredElsewhere(subscriptionClaim(server, user, name, "subscribed")) === undefined,
                refuse: (found, messages) =>
                    mailboxNotEmpty(
                        user,
                        found,
                        messages,
                        recordedProps.adopt
                            ? // Taken over, not made: whoever made it may still use it.
                              "This Mailbox took over a folder that existed before it (adopt), which another stack, program or person may still use: move the messages elsewhere first, or, to keep the folder and its messages, remove only this resource from the stack: `pulumi state delete <its URN>` (see `pulumi stack --show-urns`)."
                            : "Move the messages elsewhere first, or set forceDestroy: true on this Mailbox (and run `pulumi up`) to delete it with its messages.",
                    ),
            });
        } catch (error) {
            if (error instanceof DoveadmNoUserError) return departedUser(error, "Mailbox");
            throw error;
        }
    },
};

/**
 * Finishes a create that was cut off (the resource is pending): takes the mailbox under the recorded
 * name if this resource made it, or creates it now. This resource made it if its GUID carries the
 * resource's tag; a pending record written by 0.1.0 (which sent its chosen GUID) accepts only that
 * GUID; one written by a version that sent no GUID, and had no tag, takes the mailbox under the name
 * (see "A run stops half-way" in docs/guides/failures.md). An empty mailbox of exactly the name is taken too: a create
 * cut off by the server (a full disk, a killed process) can leave its mailbox made but with a GUID of
 * the server's own, and taking an empty one can lose nobody's messages.
 */
async function finishPending(
    client: DoveadmClient,
    id: string,
    olds: MailboxOutputs,
    news: MailboxInputs,
): Promise<MailboxStatus> {
    const { user } = news;
    const guid = identity(id, olds);
    const creator = sameCreator(olds.creator, news.creator);
    try {
        const result = await client.createOrTake(user, {
            name: olds.name,
            guid: creator === undefined ? undefined : ownedGuid(creator, user),
            take: (existing) =>
                (existing.messages === 0 && !ownedByOtherOfStack(creator, user, existing.guid)) ||
                (guid !== undefined
                    ? existing.guid === guid
                    : creator === undefined || ownedBy(creator, user, existing.guid)),
        });
        return result.status;
    } catch (error) {
        if (isExists(error)) {
            throw new DoveadmConflictError(
                "DOVEADM_MAILBOX_EXISTS",
                { command: "mailboxCreate", user, mailbox: olds.name },
                "the mailbox already exists, created by someone else while this one's creation was interrupted",
                "Set adopt: true on this Mailbox and run `pulumi state delete` for it, then `pulumi up`, to take it over; or choose another name.",
                { exitCode: 65 },
            );
        }
        throw createError(error, user, olds.name);
    }
}

async function renameMailbox(
    client: DoveadmClient,
    user: string,
    from: string,
    to: string,
    guid: string,
): Promise<void> {
    const context = { command: "mailboxRename", user, mailbox: [from, to] };
    // A rename moves the children too, and Dovecot fails half-way on a child whose new name is too
    // long (after renaming the parent): check every name it will move before sending.
    const names = (await client.snapshot(user)).mailboxes.map((m) => m.name);
    const problem = renameProblem(names, from, to, client.settings.separator);
    if (problem) {
        throw new DoveadmUsageError(
            "DOVEADM_RENAME_TOO_LONG",
            context,
            `${JSON.stringify(from)} cannot be renamed to ${JSON.stringify(to)}: ${problem}; nothing was renamed`,
            "Choose a shorter name, or rename or remove the deepest subfolders first.",
        );
    }
    try {
        await client.renameMailbox(user, from, to, { guid });
    } catch (error) {
        if (error instanceof DoveadmConflictError) {
            throw new DoveadmConflictError(
                "DOVEADM_MAILBOX_EXISTS",
                context,
                `a mailbox named ${JSON.stringify(to)} already exists, so ${JSON.stringify(from)} was not renamed`,
                "Choose another name, or delete or rename the existing mailbox first.",
                { exitCode: error.exitCode },
            );
        }
        if (error instanceof DoveadmNotFoundError) {
            const moved = await client.findStatus(user, to);
            if (moved?.guid === guid) return; // renamed already (by an earlier, interrupted run)
            throw new DoveadmNotFoundError(
                "DOVEADM_NOT_FOUND",
                context,
                `the mailbox ${JSON.stringify(from)} no longer exists`,
                "Run `pulumi refresh` to learn where it went, then run `pulumi up` again.",
                { exitCode: error.exitCode },
            );
        }
        if (error instanceof DoveadmUsageError && error.exitCode === 64) throw invalidName(error, context);
        throw error;
    }
}
