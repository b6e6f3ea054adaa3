// The FolderSet kind as a program uses it: its dynamic resource class and types, made from its
// definition (definition.ts).
import { ArgsOf, resourceClass } from "../resource";
import { folderSetKind } from "./definition";
import { z } from "zod";
import { ManagedFolder } from "./schema";

export * from "./definition";

/** The inputs of a FolderSet. */
export type FolderSetArgs = ArgsOf<typeof folderSetKind>;

/** One user's whole folder layout as a single resource, for fleets where thousands of `Mailbox` resources are themselves the cost (state size, engine steps): the same guarantees (folders found by GUID, renamed in place, never deleted with messages unless `forceDestroy`), each change checked against the server before anything is sent, so a refused change changes nothing. */
export const FolderSet = resourceClass(folderSetKind);

/** A FolderSet resource. */
export type FolderSet = InstanceType<typeof FolderSet>;

/** One folder of a FolderSet, as a program declares it. */
export type FolderArgs = z.input<ReturnType<typeof folderSetKind.inputs>["folders"]>[number];

/** One managed folder of a FolderSet as last seen on the server. */
export type ManagedFolderOutput = ManagedFolder;
