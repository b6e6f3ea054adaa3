// A MailboxAcl's inputs and outputs, each described: what check() validates, what state is read back
// through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { ACL_RIGHTS, aclIdentifierProblem, aclRightsProblem, normalizeRights } from "../../client/plugins";
import { endpointSchema, serverInput } from "../../handlers/server";
import { mailboxNameSchema, perSeparator, userSchema } from "../../names";

/** The inputs of a MailboxAcl (the separator is the server's, from the settings). */
export function aclInputShape(separator: string) {
    return aclInputShapes(separator);
}

const aclInputShapes = perSeparator((separator: string) => {
    return {
        user: z
            .string({ error: "must be a string" })
            .pipe(userSchema)
            .meta({ description: "The mailbox's owner." }),
        mailbox: z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator)).meta({
            description:
                "The owner's mailbox; it must exist: pass a Mailbox's `name` output, so that it is created first.",
        }),
        identifier: z
            .string({ error: "must be a string" })
            .superRefine((id, ctx) => {
                const problem = aclIdentifierProblem(id);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .meta({
                description:
                    "Who gets the rights, as Dovecot spells it: `user=bob@example.org`, `group=staff`, `group-override=staff`, `anyone`, `authenticated`, `owner`.",
            }),
        rights: z
            .array(
                z
                    .string({ error: "must be right names" })
                    .meta({ enum: [...ACL_RIGHTS], description: "One of Dovecot's ACL rights." }),
                {
                    error: "must be a list of right names",
                },
            )
            .superRefine((rights, ctx) => {
                const problem = aclRightsProblem(rights);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .transform(normalizeRights)
            .meta({
                description:
                    "The rights, by Dovecot's names; a change updates the entry in place. The output lists them sorted, as the server reports them.",
            }),
        adopt: z.boolean({ error: "must be true or false" }).default(false).meta({
            description:
                "Replace an entry for this identifier that someone else set with other rights (otherwise refused).",
        }),
        server: serverInput,
    };
});

/** What a MailboxAcl's outputs hold besides its inputs. */
export function aclOutputShape() {
    return { endpoint: endpointSchema };
}

/** A MailboxAcl's inputs and outputs. */
export type AclProps = z.output<
    z.ZodObject<ReturnType<typeof aclInputShape> & ReturnType<typeof aclOutputShape>>
>;
