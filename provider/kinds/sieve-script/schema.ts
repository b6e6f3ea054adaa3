// A SieveScript's inputs and outputs, each described: what check() validates, what state is read back
// through, and what the schema, the SDKs, the class and the docs say of each property.
import { z } from "zod";
import { sieveNameProblem } from "../../client/plugins";
import { endpointSchema, serverInput } from "../../handlers/server";
import { SIEVE_MAX_SCRIPT_BYTES, bytes, characterProblem } from "../../limits";
import { userSchema } from "../../names";

const scriptName = z.string({ error: "must be a string" }).superRefine((name, ctx) => {
    const problem = sieveNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** The inputs of a SieveScript. */
export const sieveInputShape = {
    user: z
        .string({ error: "must be a string" })
        .pipe(userSchema)
        .meta({ description: "The user; a change replaces the script (the old one is deleted first)." }),
    name: scriptName.meta({
        description:
            "The script's name (no `/`, not starting with `.`, no control characters, U+00FF, U+2028 or U+2029, at most 128 bytes of UTF-8); a change renames it in place.",
    }),
    script: z
        .string({ error: "must be a string" })
        .min(1, "must not be empty (to remove the script, remove the SieveScript)")
        .superRefine((script, ctx) => {
            const size = Buffer.byteLength(script, "utf8");
            const problem =
                size > SIEVE_MAX_SCRIPT_BYTES
                    ? `must be at most ${bytes(SIEVE_MAX_SCRIPT_BYTES)} of UTF-8 (Pigeonhole's default sieve_max_script_size; it is ${bytes(size)})`
                    : characterProblem(script);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .meta({
            description:
                "The Sieve text: no NUL, at most 1,048,576 bytes (at most 32,768 on Dovecot 2.4, whose API takes no larger value); a change stores the new text in place.",
        }),
    active: z.boolean({ error: "must be true or false" }).default(true).meta({
        description:
            "Whether it is the user's active script (one per user: two active scripts of one user in a program fail in `preview`).",
    }),
    adopt: z.boolean({ error: "must be true or false" }).default(false).meta({
        description:
            "Replace a script of this name that already exists, and make this one active over another script that is active (otherwise both are refused: someone else stored them).",
    }),
    server: serverInput,
};

/** What a SieveScript's outputs hold besides its inputs. */
export function sieveOutputShape() {
    return {
        endpoint: endpointSchema,
        replacedActive: scriptName.optional().meta({
            description:
                "The user's script that was active before this one was made active over it (with `adopt`); destroying this one makes it active again. Absent when this one replaced none.",
        }),
        /**
         * Set while it is unknown whether the server holds the declared script as declared: a store (or
         * the deactivation after it) whose answer was lost. The next `up` stores it again. Not for programs.
         */
        pending: z.literal(true).optional(),
    };
}

/** A SieveScript's checked inputs. */
export type SieveInputs = z.output<z.ZodObject<typeof sieveInputShape>>;

/** A SieveScript's outputs: its inputs, the script it made inactive when it was adopted, where it is. */
export type SieveProps = SieveInputs & z.output<z.ZodObject<ReturnType<typeof sieveOutputShape>>>;
