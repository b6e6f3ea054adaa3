// The MailboxAcl kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { mailboxAclKind } from "./definition";

export * from "./definition";

/** The inputs of a MailboxAcl. */
export type MailboxAclArgs = ArgsOf<typeof mailboxAclKind>;

/** The rights one identifier has on one mailbox of its owner: how a folder is shared. */
export const MailboxAcl = resourceClass(mailboxAclKind);

/** A MailboxAcl resource. */
export type MailboxAcl = InstanceType<typeof MailboxAcl>;
