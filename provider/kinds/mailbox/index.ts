// The Mailbox kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { mailboxKind } from "./definition";

export * from "./definition";

/** The inputs of a Mailbox. */
export type MailboxArgs = ArgsOf<typeof mailboxKind>;

/** One IMAP folder of one user. */
export const Mailbox = resourceClass(mailboxKind);

/** A Mailbox resource. */
export type Mailbox = InstanceType<typeof Mailbox>;
