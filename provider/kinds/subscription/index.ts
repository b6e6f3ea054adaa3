// The Subscription kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { subscriptionKind } from "./definition";

export * from "./definition";

/** The inputs of a Subscription. */
export type SubscriptionArgs = ArgsOf<typeof subscriptionKind>;

/** One entry in a user's IMAP subscription list: it may name a mailbox that does not exist, such as a shared folder. */
export const Subscription = resourceClass(subscriptionKind);

/** A Subscription resource. */
export type Subscription = InstanceType<typeof Subscription>;
