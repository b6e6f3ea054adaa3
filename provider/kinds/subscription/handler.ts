// CRUD for one IMAP subscription. A subscription is only a name in the user's subscription list: it
// may name a mailbox that does not exist, and nothing about it can be updated in place.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DoveadmError, DoveadmNoUserError } from "../../client/errors";
import { checkInputs } from "../../check";
import { claim, known, subscriptionClaim } from "../../claims";
import { clientFor, separatorOf } from "../../connection";
import { sameAccount } from "../../handlers/accounts";
import { departedUser, unknownUser } from "../../handlers/no-user";
import {
    endpointOf,
    inputsOfRecord,
    leaveAlone,
    moveOf,
    serverFailures,
    serverOf,
    warnMoved,
} from "../../handlers/server";
import { fromState } from "../../handlers/state";
import { perSeparator } from "../../names";
import { SubscriptionProps, subscriptionInputShape, subscriptionOutputShape } from "./schema";

/** The outputs recorded for a subscription: `server` only when one is named, and where it is. */
function recordOf(user: string, mailbox: string, server: string | undefined): SubscriptionProps {
    return { user, mailbox, ...(server === undefined ? {} : { server }), endpoint: endpointOf(server) };
}

const recordedShape = perSeparator((separator: string) =>
    z.object({ ...subscriptionInputShape(separator), ...subscriptionOutputShape() }),
);

function recorded(method: string, id: string | undefined, props: unknown): SubscriptionProps {
    return fromState("Subscription", method, id, props, recordedShape(separatorOf(serverOf(props))));
}

/** Whether `server` shows the subscription (for a record whose server now points elsewhere). */
async function subscribedOn(server: string | undefined, user: string, mailbox: string): Promise<boolean> {
    try {
        return (await clientFor(server).snapshot(user)).subscriptions.includes(mailbox);
    } catch (error) {
        if (error instanceof DoveadmError && !error.fatal) return false;
        throw error;
    }
}

/** The Subscription provider's methods. */
export const subscriptionHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: Record<string, unknown>) {
        return checkInputs(subscriptionInputShape(separatorOf(serverOf(news))), news, (inputs, declarer) => {
            const failures = serverFailures(inputs);
            const { user, mailbox, server } = inputs;
            if (failures.length > 0 || !known(user, mailbox, server)) return failures;
            return claim({ kind: "Subscription", ...declarer }, [
                subscriptionClaim(server as string | undefined, user as string, mailbox as string, "mailbox"),
            ]);
        });
    },

    async diff(id, oldProps, news: SubscriptionProps) {
        const olds = recorded("diff", id, oldProps);
        const replaces: string[] = olds.mailbox !== news.mailbox ? ["mailbox"] : [];
        // Another server is another subscription list. (Through a proxy it may be the same one: then
        // the replacement subscribes, and deleting the old resource would unsubscribe it, so the old
        // one goes first and the new one subscribes again.)
        const move = moveOf(olds.endpoint, news.server);
        if (olds.server !== news.server) replaces.push("server");
        else if (move && !(await subscribedOn(news.server, news.user, news.mailbox))) {
            replaces.push("endpoint");
            await warnMoved(
                "Subscription",
                `the subscription of user ${JSON.stringify(news.user)} to ${JSON.stringify(news.mailbox)}`,
                news.server,
                move,
            );
        }
        // A replacement subscribes the new entry, then unsubscribes the old one: if the server resolves
        // both user names to one account, that would end unsubscribed, so only the spelling is updated.
        else if (
            olds.user !== news.user &&
            !(await sameAccount(clientFor(news.server), olds.user, news.user))
        )
            replaces.push("user");
        return {
            changes: replaces.length > 0 || olds.user !== news.user || move !== undefined,
            replaces,
            ...(replaces.includes("server") || replaces.includes("endpoint")
                ? { deleteBeforeReplace: true }
                : {}),
        };
    },

    async create(inputs: SubscriptionProps) {
        try {
            await clientFor(inputs.server).setSubscribed(inputs.user, inputs.mailbox, true);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
        return {
            id: `${inputs.user}:${inputs.mailbox}`,
            outs: recordOf(inputs.user, inputs.mailbox, inputs.server),
        };
    },

    async read(id, props) {
        const recordedProps = recorded("read", id, props);
        let subscribed: string[];
        try {
            subscribed = (await clientFor(recordedProps.server).snapshot(recordedProps.user)).subscriptions;
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "Subscription");
            throw error;
        }
        if (!subscribed.includes(recordedProps.mailbox)) {
            // Recorded where its server no longer points: not known to be gone (the next `up` says so).
            if (moveOf(recordedProps.endpoint, recordedProps.server))
                return { id, props: recordedProps, inputs: inputsOfRecord(recordedProps) };
            return {};
        }
        const outs = recordOf(recordedProps.user, recordedProps.mailbox, recordedProps.server);
        return { id, props: outs, inputs: inputsOfRecord(outs) };
    },

    async update(id, oldProps, news: SubscriptionProps) {
        // Only the spelling of the user changed, and the server resolves both to one account.
        recorded("update", id, oldProps);
        return { outs: recordOf(news.user, news.mailbox, news.server) };
    },

    async delete(id, props) {
        const recordedProps = recorded("delete", id, props);
        const { server, user, mailbox } = recordedProps;
        const target = subscriptionClaim(server, user, mailbox, "mailbox");
        if (await leaveAlone("Subscription", target, server, recordedProps.endpoint)) return;
        try {
            await clientFor(recordedProps.server).setSubscribed(
                recordedProps.user,
                recordedProps.mailbox,
                false,
            );
        } catch (error) {
            if (error instanceof DoveadmNoUserError) return departedUser(error, "Subscription");
            throw error;
        }
    },
};
