// The SieveScript kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { sieveScriptKind } from "./definition";

export * from "./definition";

/** The inputs of a SieveScript. */
export type SieveScriptArgs = ArgsOf<typeof sieveScriptKind>;

/** One Sieve script of one user (Pigeonhole): the rules that file arriving mail. */
export const SieveScript = resourceClass(sieveScriptKind);

/** A SieveScript resource. */
export type SieveScript = InstanceType<typeof SieveScript>;
