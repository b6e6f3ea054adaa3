// The Reload kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { reloadKind } from "./definition";

export * from "./definition";

/** The inputs of a Reload. */
export type ReloadArgs = ArgsOf<typeof reloadKind>;

/** Reloads Dovecot's configuration (`doveadm reload`) when created and whenever `triggers` change, then waits (at most 30 s) until the API answers again and checks that Dovecot loaded the new configuration: Dovecot answers `reload` at once and, when its configuration does not parse, logs the error and goes on with the old one. */
export const Reload = resourceClass(reloadKind);

/** A Reload resource. */
export type Reload = InstanceType<typeof Reload>;
