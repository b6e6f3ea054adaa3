// CRUD for one METADATA entry (RFC 5464) of a mailbox, or of the user with an empty mailbox name.
// Dovecot answers an unset entry as the empty value, so a value must not be empty: an entry that reads
// empty is one that is not set.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DoveadmConflictError, DoveadmNotFoundError } from "../client/errors";
import { metadataKeyProblem } from "../client/plugins";
import { UNKNOWN, checkInputs } from "../check";
import { claim, known, targetOf } from "../claims";
import { clientFor, separatorOf } from "../connection";
import { mailboxNameSchema, userSchema } from "../names";
import { serverFailures, serverInput, serverOf, withNamedServer, mailboxItemError } from "./server";
import { oversize, refuseOversize } from "./sizes";
import { fromState } from "./state";
import { characterProblem } from "../limits";

/** The inputs of a MailboxMetadata. */
export function metadataInputShape(separator: string) {
    return {
        user: z.string({ error: "must be a string" }).pipe(userSchema),
        /** The mailbox; "" for the user-level entry. */
        mailbox: z
            .string({ error: "must be a string" })
            .default("")
            .pipe(z.union([z.literal(""), mailboxNameSchema(separator)])),
        key: z.string({ error: "must be a string" }),
        value: z
            .string({ error: "must be a string" })
            .min(
                1,
                "must not be empty (Dovecot reads an empty value as no entry: remove the MailboxMetadata instead)",
            )
            .superRefine((value, ctx) => {
                const problem = characterProblem(value);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            }),
        adopt: z.boolean({ error: "must be true or false" }).default(false),
        server: serverInput,
    };
}

/** A MailboxMetadata's inputs and outputs. */
export type MetadataProps = z.output<z.ZodObject<ReturnType<typeof metadataInputShape>>>;

function recorded(method: string, id: string | undefined, props: unknown): MetadataProps {
    // The key is checked here too, as state is input like any other (a bad key kills the server's process).
    const shape = z.object(metadataInputShape(separatorOf(serverOf(props)))).superRefine((record, ctx) => {
        const problem = metadataKeyProblem(record.key, record.mailbox === "");
        if (problem) ctx.addIssue({ code: "custom", path: ["key"], message: problem });
    });
    return fromState("MailboxMetadata", method, id, props, shape);
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
export const metadataHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        const result = checkInputs(metadataInputShape(separatorOf(serverOf(news))), news, (inputs, name) => {
            const failures = serverFailures(inputs);
            const { key, mailbox, user, server } = inputs;
            if (typeof key === "string" && key !== UNKNOWN && mailbox !== UNKNOWN) {
                const problem = metadataKeyProblem(key, mailbox === "" || mailbox === undefined);
                if (problem) failures.push({ property: "key", reason: `key ${problem}` });
            }
            if (failures.length > 0 || !known(user, mailbox, key, server)) return failures;
            const [u, m, k] = [user as string, (mailbox as string | undefined) ?? "", key as string];
            return claim({ kind: "MailboxMetadata", name }, [
                {
                    what: `the METADATA entry ${JSON.stringify(k)} of ${m === "" ? "user" : `the folder ${JSON.stringify(m)} of user`} ${JSON.stringify(u)}`,
                    key: targetOf("metadata", server as string | undefined, u, m, k),
                    property: "key",
                },
            ]);
        });
        if ((result.failures ?? []).length > 0) return result;
        const inputs = result.inputs as MetadataProps;
        if (!known(inputs.server, inputs.value, inputs.key, inputs.mailbox, inputs.user)) return result;
        const problem = await oversize(inputs.server, "mailboxMetadataSet", setParams(inputs));
        return problem ? { inputs: news, failures: [{ property: "value", reason: problem }] } : result;
    },

    async diff(id, oldProps, news: MetadataProps) {
        const olds = recorded("diff", id, oldProps);
        const replaces = (["user", "mailbox", "key", "server"] as const).filter(
            (k) => olds[k] !== (news[k] ?? (k === "mailbox" ? "" : undefined)),
        );
        const changes = replaces.length > 0 || olds.value !== news.value || olds.adopt !== news.adopt;
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
        return { id: `${user}/${mailbox}/${key}`, outs: withNamedServer(inputs) };
    },

    async read(id, props) {
        const olds = recorded("read", id, props);
        let value: string;
        try {
            value = await clientFor(olds.server).metadataGet(olds.user, olds.mailbox, olds.key);
        } catch (error) {
            if (error instanceof DoveadmNotFoundError) return {}; // the mailbox is gone, with its metadata
            throw metadataError(error);
        }
        if (value === "") return {};
        const outs = withNamedServer({ ...olds, value });
        return { id, props: outs, inputs: outs };
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
        return { outs: withNamedServer(news) };
    },

    async delete(id, props) {
        const olds = recorded("delete", id, props);
        try {
            await clientFor(olds.server).metadataUnset(olds.user, olds.mailbox, olds.key);
        } catch (error) {
            if (error instanceof DoveadmNotFoundError) return;
            throw metadataError(error);
        }
    },
};
