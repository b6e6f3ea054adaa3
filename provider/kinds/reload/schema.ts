// A Reload's inputs and outputs, each described: what check() validates, what state is read back
// through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { serverNameSchema } from "../../settings";

/** The inputs of a Reload. */
export const reloadInputShape = {
    triggers: z.array(z.unknown(), { error: "must be an array" }).default([]).meta({
        description:
            "Any values, for example the hash of a configuration file: Dovecot is reloaded when the resource is created and whenever they change.",
    }),
    server: serverNameSchema.optional().meta({
        description:
            "The configured server to reload: a name under `dovecot:servers` (or `default`); absent, with no `servers`: the default server.",
    }),
    servers: z
        .array(serverNameSchema, { error: "must be a list of server names" })
        .min(1, "must name at least one server (or leave it out for the default server)")
        .refine((names) => new Set(names).size === names.length, "must not name a server twice")
        .optional()
        .meta({
            description:
                "Several configured servers to reload at once, each once per change (`default` names the default one); not with `server`.",
        }),
};

/** What a Reload's outputs hold besides its inputs. */
export function reloadOutputShape() {
    return {
        reloadedAt: z.string().optional().meta({
            description: "When the latest of the reloads for the current triggers finished (ISO 8601).",
        }),
        reloaded: z.record(serverNameSchema, z.string()).optional().meta({
            description:
                "When each server was reloaded for the current triggers (ISO 8601), by server name (`default` for the default server).",
        }),
    };
}

/** A Reload's inputs and outputs. */
export type ReloadProps = z.output<
    z.ZodObject<typeof reloadInputShape & ReturnType<typeof reloadOutputShape>>
>;
