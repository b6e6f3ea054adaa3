// CRUD for one METADATA entry (RFC 5464) of a mailbox, or of the user with an empty mailbox name.
// Dovecot answers an unset entry as the empty value, so a value must not be empty: an entry that reads
// empty is one that is not set.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    DoveadmConflictError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
} from "../../client/errors";
import { departedUser } from "../../handlers/no-user";
import { metadataKeyProblem } from "../../client/plugins";
import { UNKNOWN, checkInputs, failureOf } from "../../check";
import { Claim, claim, known, targetOf } from "../../claims";
import { clientFor, separatorOf } from "../../connection";
import {
    inputsOfRecord,
    leaveAlone,
    mailboxItemError,
    moveOf,
    recordOf,
    serverFailures,
    serverOf,
    warnMoved,
} from "../../handlers/server";
import { oversize, refuseOversize } from "../../handlers/sizes";
import { fromState } from "../../handlers/state";
import { perSeparator } from "../../names";
import { MetadataProps, metadataInputShape, metadataOutputShape } from "./schema";

/** The entry a MailboxMetadata declares, as a claim (see claims.ts). */
function entryClaim(server: string | undefined, user: string, mailbox: string, key: string): Claim {
    return {
        what: `the METADATA entry ${JSON.stringify(key)} of ${mailbox === "" ? "user" : `the folder ${JSON.stringify(mailbox)} of user`} ${JSON.stringify(user)}`,
        key: targetOf("metadata", server, user, mailbox, key),
        property: "key",
    };
}

// The key is checked here too, as state is input like any other (a bad key kills the server's process).
const recordedShape = perSeparator((separator: string) =>
    z.object({ ...metadataInputShape(separator), ...metadataOutputShape() }).superRefine((record, ctx) => {
        const problem = metadataKeyProblem(record.key, record.mailbox === "");
        if (problem) ctx.addIssue({ code: "custom", path: ["key"], message: problem });
    }),
);

function recorded(method: string, id: string | undefined, props: unknown): MetadataProps {
    return fromState("MailboxMetadata", method, id, props, recordedShape(separatorOf(serverOf(props))));
}

/** What `mailboxMetadataSet` sends for `props`, for measuring it against the server's limits. */
function setParams(props: MetadataProps): Record<string, unknown> {
    const { user, mailbox, key, value } = props;
    return { user, mailbox: mailbox ?? "", key, value, allowEmptyMailboxName: mailbox === "" || undefined };
}

/** Refuses, before anything is sent, a value more than the server takes. */
function refuseLarge(props: MetadataProps): Promise<void> {
    return refuseOversize(props.server, "mailboxMetadataSet", setParams(props), {
        command: "mailboxMetadataSet",
        user: props.user,
        mailbox: props.mailbox === "" ? undefined : props.mailbox,
        item: `METADATA key ${JSON.stringify(props.key)}`,
    });
}

function metadataError(error: unknown): unknown {
    return mailboxItemError(error, "MailboxMetadata", "metadata");
}

/** The MailboxMetadata provider's methods. */
export const mailboxMetadataHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: Record<string, unknown>) {
        const result = checkInputs(
            metadataInputShape(separatorOf(serverOf(news))),
            news,
            (inputs, declarer) => {
                const failures = serverFailures(inputs);
                const { key, mailbox, user, server } = inputs;
                if (typeof key === "string" && key !== UNKNOWN && mailbox !== UNKNOWN) {
                    const problem = metadataKeyProblem(key, mailbox === "" || mailbox === undefined);
                    if (problem) failures.push({ property: "key", reason: `key ${problem}` });
                }
                if (failures.length > 0 || !known(user, mailbox, key, server)) return failures;
                const [u, m, k] = [user as string, (mailbox as string | undefined) ?? "", key as string];
                return claim({ kind: "MailboxMetadata", ...declarer }, [
                    entryClaim(server as string | undefined, u, m, k),
                ]);
            },
        );
        if ((result.failures ?? []).length > 0) return result;
        const inputs = result.inputs as MetadataProps;
        if (!known(inputs.server, inputs.value, inputs.key, inputs.mailbox, inputs.user)) return result;
        const problem = await oversize(inputs.server, "mailboxMetadataSet", setParams(inputs));
        return problem ? { inputs: news, failures: [failureOf("value", inputs.value, problem)] } : result;
    },

    async diff(id, oldProps, news: MetadataProps) {
        const olds = recorded("diff", id, oldProps);
        const replaces: string[] = (["user", "mailbox", "key", "server"] as const).filter(
            (k) => olds[k] !== (news[k] ?? (k === "mailbox" ? "" : undefined)),
        );
        const move = moveOf(olds.endpoint, news.server);
        if (replaces.length === 0 && move) {
            // The same entry at the new endpoint: the same server under a new name.
            const there = await clientFor(news.server)
                .metadataGet(news.user, olds.mailbox, olds.key)
                .catch((error: unknown) => {
                    if (error instanceof DoveadmError && !error.fatal) return "";
                    throw error;
                });
            if (there !== olds.value) {
                replaces.push("endpoint");
                const what = entryClaim(olds.server, olds.user, olds.mailbox, olds.key).what;
                await warnMoved("MailboxMetadata", what, news.server, move);
            }
        }
        const changes =
            replaces.length > 0 ||
            move !== undefined ||
            olds.value !== news.value ||
            olds.adopt !== news.adopt;
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: MetadataProps) {
        const client = clientFor(inputs.server);
        const { user, mailbox, key } = inputs;
        await refuseLarge(inputs);
        try {
            // The look and the write in one turn of the user's: nothing of the user's runs between.
            await client.inUserTurn(user, "MailboxMetadata create", async (c) => {
                const existing = await c.metadataGet(mailbox, key);
                if (existing !== "" && existing !== inputs.value && !inputs.adopt) {
                    throw new DoveadmConflictError(
                        "DOVEADM_METADATA_EXISTS",
                        {
                            command: "mailboxMetadataSet",
                            user,
                            mailbox: mailbox === "" ? undefined : mailbox,
                            item: `METADATA key ${JSON.stringify(key)}`,
                        },
                        "the entry already holds another value, set by someone else",
                        "Set adopt: true on this MailboxMetadata to replace it with the declared value, or remove it from the other program that declares it.",
                        { exitCode: 65 },
                    );
                }
                await c.metadataSet(mailbox, key, inputs.value);
            });
        } catch (error) {
            throw metadataError(error);
        }
        return { id: `${user}/${mailbox}/${key}`, outs: recordOf(inputs) };
    },

    async read(id, props) {
        const olds = recorded("read", id, props);
        let value: string;
        try {
            value = await clientFor(olds.server).metadataGet(olds.user, olds.mailbox, olds.key);
        } catch (error) {
            if (!(error instanceof DoveadmNotFoundError)) throw metadataError(error);
            value = ""; // the mailbox is gone, with its metadata
        }
        if (value === "") {
            // Recorded where its server no longer points: not known to be gone (the next `up` says so).
            if (moveOf(olds.endpoint, olds.server)) return { id, props: olds, inputs: inputsOfRecord(olds) };
            return {};
        }
        const outs = recordOf({ ...olds, value });
        return { id, props: outs, inputs: inputsOfRecord(outs) };
    },

    async update(id, oldProps, news: MetadataProps) {
        // The recorded state is input too: checked before anything is sent.
        recorded("update", id, oldProps);
        await refuseLarge(news);
        try {
            await clientFor(news.server).metadataSet(news.user, news.mailbox, news.key, news.value);
        } catch (error) {
            throw metadataError(error);
        }
        return { outs: recordOf(news) };
    },

    async delete(id, props) {
        const olds = recorded("delete", id, props);
        const target = entryClaim(olds.server, olds.user, olds.mailbox, olds.key);
        if (await leaveAlone("MailboxMetadata", target, olds.server, olds.endpoint)) return;
        try {
            await clientFor(olds.server).metadataUnset(olds.user, olds.mailbox, olds.key);
        } catch (error) {
            if (error instanceof DoveadmNotFoundError) return;
            if (error instanceof DoveadmNoUserError) return departedUser(error, "MailboxMetadata");
            throw metadataError(error);
        }
    },
};
