// The MailboxMetadata kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { mailboxMetadataKind } from "./definition";

export * from "./definition";

/** The inputs of a MailboxMetadata. */
export type MailboxMetadataArgs = ArgsOf<typeof mailboxMetadataKind>;

/** One METADATA entry (RFC 5464) of a mailbox, or of the user (an empty or absent `mailbox`). */
export const MailboxMetadata = resourceClass(mailboxMetadataKind);

/** A MailboxMetadata resource. */
export type MailboxMetadata = InstanceType<typeof MailboxMetadata>;
