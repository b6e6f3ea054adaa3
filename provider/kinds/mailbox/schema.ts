// A Mailbox's inputs and outputs, each described: what check() validates, what state is read back
// through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { endpointSchema, serverInput } from "../../handlers/server";
import { guidSchema, statusCounters } from "../../handlers/state";
import { mailboxNameSchema, perSeparator, userSchema } from "../../names";
import { CREATOR_PATTERN } from "../../ownership";

const flag = (fallback: boolean, description: string) =>
    z.boolean({ error: "must be true or false" }).default(fallback).meta({ description });

/** The inputs of a Mailbox (the separator is the server's, from the settings). */
export function mailboxInputShape(separator: string) {
    return mailboxInputShapes(separator);
}

const mailboxInputShapes = perSeparator((separator: string) => {
    return {
        user: z.string({ error: "must be a string" }).pipe(userSchema).meta({
            description:
                "The owner, as the server's user database knows them (`alice@example.org`); a change of account replaces the mailbox (the old one is deleted first); another spelling of the same account (say `Alice@Example.org`) only updates it.",
        }),
        name: z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator)).meta({
            description:
                "The full name, levels joined by the server's hierarchy separator (`Archive/2026`), in UTF-8; a change renames the mailbox in place, with its messages and GUID.",
        }),
        subscribed: flag(true, "Whether the user is subscribed to it (IMAP LSUB)."),
        forceDestroy: flag(false, "Allow deleting it while it holds messages (they are expunged)."),
        adopt: flag(
            false,
            "Take over a mailbox that already exists, with its messages (never one that another resource of this stack made).",
        ),
        server: serverInput,
        /** Set by the class: what the GUIDs of the folders it makes are derived from (ownership.ts). */
        creator: z
            .string({ error: "must be a string" })
            .regex(CREATOR_PATTERN, "must be 32 or 44 hexadecimal digits (the Mailbox constructor sets it)")
            .optional(),
    };
});

/** What a Mailbox's outputs hold besides its inputs. */
export function mailboxOutputShape() {
    return {
        endpoint: endpointSchema,
        guid: z.union([guidSchema, z.literal("")]).meta({
            description:
                "The mailbox GUID (32 hex digits), kept across renames; also the resource id. Empty while a create whose outcome is unknown is pending.",
        }),
        ...statusCounters,
    };
}

/** A Mailbox's checked inputs. */
export type MailboxInputs = z.output<z.ZodObject<ReturnType<typeof mailboxInputShape>>>;

/** A Mailbox's outputs: its inputs plus what the server reports. */
export type MailboxOutputs = MailboxInputs & z.output<z.ZodObject<ReturnType<typeof mailboxOutputShape>>>;
