// CRUD for one IMAP subscription. A subscription is only a name in the user's subscription list: it
// may name a mailbox that does not exist, and nothing about it can be updated in place.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DoveadmNoUserError } from "../client/errors";
import { checkInputs } from "../check";
import { currentClient, currentSeparator } from "../connection";
import { mailboxNameSchema, userSchema } from "../names";
import { sameAccount } from "./accounts";
import { unknownUser } from "./no-user";
import { fromState } from "./state";

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

function recorded(method: string, id: string | undefined, props: unknown): SubscriptionProps {
    return fromState("Subscription", method, id, props, z.object(subscriptionInputShape(currentSeparator())));
}

/** The Subscription provider's methods. */
export const subscriptionHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        return checkInputs(subscriptionInputShape(currentSeparator()), news);
    },

    async diff(id, oldProps, news: SubscriptionProps) {
        const olds = recorded("diff", id, oldProps);
        const replaces: string[] = olds.mailbox !== news.mailbox ? ["mailbox"] : [];
        // A replacement subscribes the new entry, then unsubscribes the old one: if the server resolves
        // both user names to one account, that would end unsubscribed, so only the spelling is updated.
        if (olds.user !== news.user && !(await sameAccount(currentClient(), olds.user, news.user)))
            replaces.push("user");
        return { changes: replaces.length > 0 || olds.user !== news.user, replaces };
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

    async read(id, props) {
        const recordedProps = recorded("read", id, props);
        let subscribed: string[];
        try {
            subscribed = (await currentClient().snapshot(recordedProps.user)).subscriptions;
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
        if (!subscribed.includes(recordedProps.mailbox)) return {};
        const outs = { user: recordedProps.user, mailbox: recordedProps.mailbox };
        return { id, props: outs, inputs: outs };
    },

    async update(id, oldProps, news: SubscriptionProps) {
        // Only the spelling of the user changed, and the server resolves both to one account.
        recorded("update", id, oldProps);
        return { outs: { user: news.user, mailbox: news.mailbox } };
    },

    async delete(id, props) {
        const recordedProps = recorded("delete", id, props);
        try {
            await currentClient().setSubscribed(recordedProps.user, recordedProps.mailbox, false);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
    },
};
