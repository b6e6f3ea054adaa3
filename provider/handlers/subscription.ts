// CRUD for one IMAP subscription. A subscription is only a name in the user's subscription list: it
// may name a mailbox that does not exist, and nothing about it can be updated in place.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DoveadmNoUserError } from "../client/errors";
import { checkInputs } from "../check";
import { currentClient, currentSeparator } from "../connection";
import { unknownUser } from "./no-user";
import { mailboxNameSchema, userSchema } from "../names";

/** The inputs of a Subscription. */
export function subscriptionInputShape(separator: string) {
    return {
        user: z.string({ error: "must be a string" }).pipe(userSchema),
        mailbox: z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator)),
    };
}

/** A Subscription's inputs and outputs. */
export interface SubscriptionProps {
    user: string;
    mailbox: string;
}

/** The Subscription provider's methods. */
export const subscriptionHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        return checkInputs(subscriptionInputShape(currentSeparator()), news);
    },

    async diff(_id, olds: SubscriptionProps, news: SubscriptionProps) {
        const replaces = (["user", "mailbox"] as const).filter((key) => olds[key] !== news[key]);
        return { changes: replaces.length > 0, replaces };
    },

    async create(inputs: SubscriptionProps) {
        try {
            await currentClient().setSubscribed(inputs.user, inputs.mailbox, true);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
        return {
            id: `${inputs.user}:${inputs.mailbox}`,
            outs: { user: inputs.user, mailbox: inputs.mailbox },
        };
    },

    async read(id, props: SubscriptionProps) {
        let subscribed: string[];
        try {
            subscribed = (await currentClient().snapshot(props.user)).subscriptions;
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
        if (!subscribed.includes(props.mailbox)) return {};
        const outs = { user: props.user, mailbox: props.mailbox };
        return { id, props: outs, inputs: outs };
    },

    async delete(_id, props: SubscriptionProps) {
        try {
            await currentClient().setSubscribed(props.user, props.mailbox, false);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
    },
};
