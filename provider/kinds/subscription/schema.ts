// A Subscription's inputs and outputs, each described: what check() validates, what state is read
// back through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { endpointSchema, serverInput } from "../../handlers/server";
import { mailboxNameSchema, perSeparator, userSchema } from "../../names";

/** The inputs of a Subscription (the separator is the server's, from the settings). */
export function subscriptionInputShape(separator: string) {
    return subscriptionInputShapes(separator);
}

const subscriptionInputShapes = perSeparator((separator: string) => {
    return {
        user: z
            .string({ error: "must be a string" })
            .pipe(userSchema)
            .meta({ description: "The user whose subscription list holds the entry; a change replaces it." }),
        mailbox: z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator)).meta({
            description:
                "The mailbox name to subscribe to; it need not exist (a shared folder, say); a change replaces the entry.",
        }),
        server: serverInput,
    };
});

/** What a Subscription's outputs hold besides its inputs. */
export function subscriptionOutputShape() {
    return { endpoint: endpointSchema };
}

/** A Subscription's inputs and outputs. */
export type SubscriptionProps = z.output<
    z.ZodObject<ReturnType<typeof subscriptionInputShape> & ReturnType<typeof subscriptionOutputShape>>
>;
