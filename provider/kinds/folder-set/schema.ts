// A FolderSet's inputs and outputs, each described: what check() validates, what state is read back
// through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { endpointSchema, serverInput } from "../../handlers/server";
import { counterSchema, guidSchema } from "../../handlers/state";
import { mailboxNameSchema, perSeparator, userSchema } from "../../names";
import { CREATOR_PATTERN } from "../../ownership";

/** The inputs of a FolderSet (the separator is the server's, from the settings). */
export function folderSetInputShape(separator: string) {
    return folderSetInputShapes(separator);
}

const folderSetInputShapes = perSeparator((separator: string) => {
    const name = z.string({ error: "must be a string" }).pipe(mailboxNameSchema(separator));
    return {
        user: z
            .string({ error: "must be a string" })
            .pipe(userSchema)
            .meta({ description: "The owner of the folders; a change of user replaces the set." }),
        folders: z
            .array(
                z
                    .object(
                        {
                            name: name.meta({ description: "The folder's full name (`Archive/2026`)." }),
                            subscribed: z
                                .boolean({ error: "must be true or false" })
                                .default(true)
                                .meta({ description: "Whether the user is subscribed to it." }),
                            renamedFrom: name.optional().meta({
                                description:
                                    "The folder's previous name, to rename it in place (keeping its messages and GUID) instead of deleting one folder and making another.",
                            }),
                        },
                        { error: "must be a folder: { name, subscribed?, renamedFrom? }" },
                    )
                    .meta({ description: "One folder of a FolderSet, as the program declares it." }),
                { error: "must be a list of { name, subscribed?, renamedFrom? }" },
            )
            .superRefine((folders, ctx) => {
                const seen = new Set<string>();
                for (const folder of folders) {
                    if (seen.has(folder.name))
                        ctx.addIssue({
                            code: "custom",
                            message: `lists ${JSON.stringify(folder.name)} twice`,
                        });
                    seen.add(folder.name);
                }
            })
            .meta({
                description:
                    "The user's whole managed layout: a folder dropped from the list is deleted (never with messages unless `forceDestroy`); `renamedFrom` renames one in place.",
            }),
        forceDestroy: z
            .boolean({ error: "must be true or false" })
            .default(false)
            .meta({ description: "Allow deleting folders that hold messages (they are expunged)." }),
        adopt: z.boolean({ error: "must be true or false" }).default(false).meta({
            description:
                "Take over folders that already exist, with their messages (never one that another resource of this stack made).",
        }),
        server: serverInput,
        /** Set by the class: what the GUIDs of the folders it makes are derived from (ownership.ts). */
        creator: z
            .string({ error: "must be a string" })
            .regex(CREATOR_PATTERN, "must be 32 or 44 hexadecimal digits (the FolderSet constructor sets it)")
            .optional(),
    };
});

/** What a FolderSet's outputs hold besides its inputs. */
export function folderSetOutputShape(separator: string) {
    return folderSetOutputShapes(separator);
}

const folderSetOutputShapes = perSeparator((separator: string) => {
    const name = mailboxNameSchema(separator);
    return {
        endpoint: endpointSchema,
        mailboxes: z
            .array(
                z
                    .object({
                        name: name.meta({ description: "Its name on the server." }),
                        declaredName: name.meta({
                            description:
                                "Its name in the program when last applied (another than `name` after a rename made out of band).",
                        }),
                        guid: guidSchema.meta({ description: "The mailbox GUID." }),
                        subscribed: z
                            .boolean()
                            .meta({ description: "Whether the user is subscribed to it." }),
                        messages: counterSchema.meta({ description: "Messages in it when last read." }),
                    })
                    .meta({ description: "One folder a FolderSet manages, as last seen on the server." }),
            )
            .default([])
            .meta({ description: "Each managed folder as last seen on the server." }),
        unconfirmed: z.array(name).optional().meta({
            description:
                "After a run cut off while creating: the names whose create went unanswered, which the next `up` (or `destroy`) takes over if they exist.",
        }),
    };
});

/** One declared folder. */
export type FolderSpec = z.output<ReturnType<typeof folderSetInputShape>["folders"]>[number];

/** A FolderSet's checked inputs. */
export type FolderSetInputs = z.output<z.ZodObject<ReturnType<typeof folderSetInputShape>>>;

/** One managed folder as last seen on the server. */
export type ManagedFolder = z.output<ReturnType<typeof folderSetOutputShape>["mailboxes"]>[number];

/** A FolderSet's outputs. */
export type FolderSetOutputs = FolderSetInputs &
    z.output<z.ZodObject<ReturnType<typeof folderSetOutputShape>>>;
