// A MailboxMetadata's inputs and outputs, each described: what check() validates, what state is read
// back through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { endpointSchema, serverInput } from "../../handlers/server";
import { characterProblem } from "../../limits";
import { mailboxNameSchema, perSeparator, userSchema } from "../../names";

/** The inputs of a MailboxMetadata (the separator is the server's, from the settings). */
export function metadataInputShape(separator: string) {
    return metadataInputShapes(separator);
}

const metadataInputShapes = perSeparator((separator: string) => {
    return {
        user: z.string({ error: "must be a string" }).pipe(userSchema).meta({ description: "The user." }),
        mailbox: z
            .string({ error: "must be a string" })
            .default("")
            .pipe(z.union([z.literal(""), mailboxNameSchema(separator)]))
            .meta({
                description:
                    'The mailbox, which must exist; `""` (or absent) for the entry of the user rather than of a mailbox.',
            }),
        key: z.string({ error: "must be a string" }).meta({
            description:
                "The entry's name, under `/private/` or `/shared/` (the user level takes `/private/` only), such as `/shared/comment`.",
        }),
        value: z
            .string({ error: "must be a string" })
            .min(
                1,
                "must not be empty (Dovecot reads an empty value as no entry: remove the MailboxMetadata instead)",
            )
            .superRefine((value, ctx) => {
                const problem = characterProblem(value);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .meta({
                description:
                    "Its value: not empty (Dovecot reads an empty value as no entry), no NUL, at most 32,768 bytes on Dovecot 2.4 (about 1 MiB on 2.3).",
            }),
        adopt: z
            .boolean({ error: "must be true or false" })
            .default(false)
            .meta({ description: "Replace another value that someone else set (otherwise refused)." }),
        server: serverInput,
    };
});

/** What a MailboxMetadata's outputs hold besides its inputs. */
export function metadataOutputShape() {
    return { endpoint: endpointSchema };
}

/** A MailboxMetadata's inputs and outputs. */
export type MetadataProps = z.output<
    z.ZodObject<ReturnType<typeof metadataInputShape> & ReturnType<typeof metadataOutputShape>>
>;
