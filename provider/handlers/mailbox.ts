// CRUD for one IMAP folder of one user. The mailbox is identified by its GUID (the resource id), which
// survives renames, so refresh finds a mailbox renamed behind Pulumi's back. Nothing here ever
// deletes a message unless forceDestroy is set, and INBOX is never deleted or renamed.
import type * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { DoveadmClient, MailboxStatus } from "../client/client";
import {
    DoveadmConflictError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    DoveadmUsageError,
    ErrorContext,
} from "../client/errors";
import { UNKNOWN, checkInputs } from "../check";
import { currentClient, currentSeparator } from "../connection";
import { isInbox, isWithin, mailboxNameSchema, userSchema } from "../names";
import { unknownUser } from "./no-user";
import { PartialFailureError } from "./partial";

const flag = (fallback: boolean) => z.boolean({ error: "must be true or false" }).default(fallback);

/** The inputs of a Mailbox, as one schema (the separator comes from the settings). */
export function mailboxInputShape(separator: string) {
    return {
        user: z.string({ error: "must be a string" }).pipe(userSchema),
        name: z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator)),
        subscribed: flag(true),
        forceDestroy: flag(false),
        adopt: flag(false),
    };
}

/** A Mailbox's validated inputs. */
export type MailboxInputs = z.output<z.ZodObject<ReturnType<typeof mailboxInputShape>>>;

/** A Mailbox's outputs: its inputs plus what the server reports. */
export interface MailboxOutputs extends MailboxInputs {
    guid: string;
    messages: number;
    unseen: number;
    uidValidity: number;
    uidNext: number;
    highestModSeq: number;
    vsize: number;
}

function outputs(inputs: MailboxInputs, status: MailboxStatus): MailboxOutputs {
    return {
        user: inputs.user,
        name: status.name,
        subscribed: inputs.subscribed,
        forceDestroy: inputs.forceDestroy,
        adopt: inputs.adopt,
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
    };
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

/** The mailbox with this GUID: under `name` if it is still there, else wherever it was renamed to. */
async function locate(
    client: DoveadmClient,
    user: string,
    name: string,
    guid: string,
): Promise<MailboxStatus | undefined> {
    const byName = await client.findStatus(user, name);
    if (byName && byName.guid === guid) return byName;
    return (await client.statusAll(user)).find((status) => status.guid === guid);
}

/** The Mailbox provider's methods, using the process's configured client. */
export const mailboxHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        const shape = mailboxInputShape(currentSeparator());
        return checkInputs(shape, news, (inputs) => {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            const name = inputs.name;
            if (_olds && typeof _olds.name === "string" && name !== UNKNOWN && typeof name === "string") {
                const renamed = _olds.name !== name && _olds.user === inputs.user;
                if (renamed && (isInbox(_olds.name) || isInbox(name))) {
                    failures.push({
                        property: "name",
                        reason: "INBOX cannot be renamed, and no mailbox can be renamed to INBOX; keep the name or manage another mailbox",
                    });
                } else if (renamed && isWithin(name, _olds.name, currentSeparator())) {
                    failures.push({
                        property: "name",
                        reason: `cannot rename ${JSON.stringify(_olds.name)} into its own subfolder ${JSON.stringify(name)}; create the new folder and move the messages instead`,
                    });
                }
            }
            return failures;
        });
    },

    async diff(_id, olds: MailboxOutputs, news: MailboxInputs) {
        const replaces = olds.user !== news.user ? ["user"] : [];
        const changed =
            replaces.length > 0 ||
            pending(olds) ||
            olds.name !== news.name ||
            olds.subscribed !== news.subscribed ||
            olds.forceDestroy !== news.forceDestroy ||
            olds.adopt !== news.adopt;
        // A new user means a new mailbox; the old one goes first, since nothing else ties them.
        return { changes: changed, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: MailboxInputs) {
        const client = currentClient();
        const { user, name } = inputs;
        let status: MailboxStatus | undefined;
        const adopting = inputs.adopt || isInbox(name);
        if (adopting) status = await client.findStatus(user, name);
        if (!status) {
            // The GUID is chosen here, before anything is sent, and is the resource's id: if the
            // server goes away between the create and the read that confirms it, the resource is
            // recorded as pending under that id and the next `up` finishes it (see update), instead
            // of leaving a mailbox on the server that the state does not know.
            const guid = newGuid();
            await createWithGuid(client, user, name, guid, (error) => {
                throw new PartialFailureError(guid, pendingOutputs(inputs), error);
            });
            try {
                status = await client.findStatus(user, name);
            } catch (error) {
                if (error instanceof DoveadmError && !definite(error))
                    throw new PartialFailureError(guid, pendingOutputs(inputs), error);
                throw error;
            }
            if (!status || status.guid !== guid) {
                throw new DoveadmNotFoundError(
                    "DOVEADM_CREATE_NOT_VISIBLE",
                    { command: "mailboxCreate", user, mailbox: name },
                    "the server reported success but the mailbox is not there",
                    "Check the server's log and run again.",
                );
            }
        }
        const created = outputs(inputs, status);
        try {
            await client.setSubscribed(user, status.name, inputs.subscribed);
        } catch (error) {
            // The mailbox exists: record it, so the next `up` only fixes the subscription.
            throw new PartialFailureError(status.guid, { ...created, subscribed: !inputs.subscribed }, error);
        }
        return { id: status.guid, outs: created };
    },

    async read(id, props: MailboxOutputs) {
        const client = currentClient();
        let found: MailboxStatus | undefined;
        let subscribed: boolean;
        try {
            // One request shows every mailbox and subscription of the user, and is shared by the
            // reads of that user's other mailboxes during the same refresh.
            const snapshot = await client.snapshot(props.user);
            found =
                snapshot.mailboxes.find((m) => m.guid === id && m.name === props.name) ??
                snapshot.mailboxes.find((m) => m.guid === id);
            if (!found) return {};
            subscribed = snapshot.subscriptions.includes(found.name);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Mailbox");
            throw error;
        }
        const current = { ...inputsOf(props), subscribed };
        const outs = outputs(current, found);
        return { id, props: outs, inputs: inputsOf(outs) };
    },

    async update(id, olds: MailboxOutputs, news: MailboxInputs) {
        const client = currentClient();
        const { user } = news;
        let status: MailboxStatus | undefined;
        const wasPending = pending(olds);
        if (wasPending) {
            // An earlier create was cut off: finish it under the GUID it chose (the id).
            const found = await client.findStatus(user, olds.name);
            if (!found) {
                await createWithGuid(client, user, olds.name, id, (error) => {
                    throw error;
                });
            } else if (found.guid !== id) {
                throw new DoveadmConflictError(
                    "DOVEADM_MAILBOX_EXISTS",
                    { command: "mailboxCreate", user, mailbox: olds.name },
                    "the mailbox already exists, created by someone else while this one's creation was interrupted",
                    "Set adopt: true on this Mailbox and run `pulumi state delete` for it, then `pulumi up`, to take it over; or choose another name.",
                    { exitCode: 65 },
                );
            }
            // Its subscription was never set: set it whatever the last known value says.
            olds = { ...olds, guid: id, subscribed: !news.subscribed };
        }
        if (olds.name !== news.name) {
            if (isInbox(olds.name) || isInbox(news.name)) {
                throw new DoveadmConflictError(
                    "DOVEADM_INBOX_PROTECTED",
                    { command: "mailboxRename", user, mailbox: [olds.name, news.name] },
                    "INBOX cannot be renamed",
                    "Keep the name INBOX for this resource.",
                );
            }
            if (isWithin(news.name, olds.name, currentSeparator())) {
                throw new DoveadmUsageError(
                    "DOVEADM_RENAME_INTO_ITSELF",
                    { command: "mailboxRename", user, mailbox: [olds.name, news.name] },
                    "a mailbox cannot be renamed into its own subfolder",
                    "Create the new folder and move the messages instead.",
                );
            }
            await renameMailbox(client, user, olds.name, news.name, id);
            // Subscriptions do not follow a rename on the server: move it by hand.
            if (olds.subscribed) await client.setSubscribed(user, olds.name, false);
            if (news.subscribed) await client.setSubscribed(user, news.name, true);
            status = await client.findStatus(user, news.name);
        } else if (olds.subscribed !== news.subscribed) {
            await client.setSubscribed(user, news.name, news.subscribed);
        }
        if (!status && wasPending) status = await client.findStatus(user, news.name);
        if (!status) {
            // Only flags changed (or the subscription): keep the last known counters, send nothing more.
            return { outs: { ...olds, ...news } };
        }
        return { outs: outputs(news, status) };
    },

    async delete(id, props: MailboxOutputs) {
        const { user, name } = props;
        if (isInbox(name)) return; // INBOX is never deleted: it is only forgotten.
        const client = currentClient();
        const context = { command: "mailboxDelete", user, mailbox: name };
        let found: MailboxStatus | undefined;
        try {
            found = await locate(client, user, name, id);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Mailbox");
            throw error;
        }
        if (!found) return; // already gone
        const refuse = (messages: number) =>
            new DoveadmConflictError(
                "DOVEADM_MAILBOX_NOT_EMPTY",
                { ...context, mailbox: found.name },
                `the mailbox holds ${messages} message${messages === 1 ? "" : "s"}; nothing was deleted`,
                "Move the messages elsewhere first, or set forceDestroy: true on this Mailbox (and run `pulumi up`) to delete it with its messages.",
                { exitCode: 65 },
            );
        if (!props.forceDestroy && found.messages > 0) throw refuse(found.messages);
        try {
            await client.deleteMailbox(user, found.name, { requireEmpty: !props.forceDestroy });
        } catch (error) {
            if (error instanceof DoveadmNotFoundError) return;
            if (error instanceof DoveadmConflictError && !props.forceDestroy) {
                // A message arrived since the status read: the server kept the mailbox.
                const now = await client.findStatus(user, found.name);
                throw refuse(now?.messages ?? 0);
            }
            throw error;
        }
        if (props.subscribed) await client.setSubscribed(user, found.name, false);
    },
};

async function renameMailbox(
    client: DoveadmClient,
    user: string,
    from: string,
    to: string,
    guid: string,
): Promise<void> {
    const context = { command: "mailboxRename", user, mailbox: [from, to] };
    try {
        await client.mailboxRename(user, from, to, { guid });
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

/** A new random mailbox GUID (32 hex digits), as Dovecot makes them. */
function newGuid(): string {
    return randomBytes(16).toString("hex");
}

/** The outputs recorded for a mailbox whose creation may or may not have happened: no GUID yet. */
function pendingOutputs(inputs: MailboxInputs): MailboxOutputs {
    return {
        ...inputs,
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
function pending(olds: MailboxOutputs): boolean {
    return typeof olds.guid !== "string" || olds.guid === "";
}

/** True when the failure tells for sure what the server did (it answered, or a setting is wrong). */
function definite(error: DoveadmError): boolean {
    return !(
        error instanceof DoveadmUnknownOutcomeError ||
        error instanceof DoveadmUnreachableError ||
        error instanceof DoveadmTemporaryError
    );
}

/**
 * Creates one mailbox with the given GUID, after looking that the name is free (Dovecot 2.3 writes
 * the GUID into an existing mailbox of that name even while refusing to create it). A failure that
 * leaves the outcome unknown goes to `uncertain`, which throws.
 */
async function createWithGuid(
    client: DoveadmClient,
    user: string,
    name: string,
    guid: string,
    uncertain: (error: DoveadmError) => never,
): Promise<void> {
    const context = { command: "mailboxCreate", user, mailbox: name };
    const exists = () =>
        new DoveadmConflictError(
            "DOVEADM_MAILBOX_EXISTS",
            context,
            "the mailbox already exists",
            "Set adopt: true on this Mailbox to take the existing mailbox (and its messages) over, or choose another name.",
            { exitCode: 65 },
        );
    try {
        if (await client.findStatus(user, name)) throw exists();
    } catch (error) {
        if (error instanceof DoveadmUsageError && error.exitCode === 64) throw invalidName(error, context);
        if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Mailbox");
        throw error;
    }
    try {
        await client.mailboxCreate(user, [name], { guid });
    } catch (error) {
        if (error instanceof DoveadmConflictError) throw exists();
        if (error instanceof DoveadmUsageError && error.exitCode === 64) throw invalidName(error, context);
        if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Mailbox");
        if (error instanceof DoveadmError && !definite(error)) uncertain(error);
        throw error;
    }
}
