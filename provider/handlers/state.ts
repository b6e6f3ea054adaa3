// Values read back from Pulumi's state are input like any other: a hand edit, a bad `stack import` or
// a bug can put a pattern where a user name belongs, and doveadm treats `user` as a mask (`*` acts on
// every user). Every provider method reads the recorded properties through a schema first, and
// refuses, before anything is sent, what no program could have written.
import { z } from "zod";
import { DoveadmStateError } from "../client/errors";

/** Reads a resource's recorded properties through `schema`, or throws a DoveadmStateError naming the bad value. */
export function fromState<T>(
    kind: string,
    method: string,
    id: string | undefined,
    props: unknown,
    schema: z.ZodType<T>,
): T {
    const result = schema.safeParse(props ?? {});
    if (result.success) return result.data;
    const problems = result.error.issues.slice(0, 3).map((issue) => {
        const where = issue.path.join(".") || "the record";
        const value = valueAt(props, issue.path);
        const shown = typeof value === "string" ? ` (${JSON.stringify(value.slice(0, 80))})` : "";
        return `${where}${shown} ${issue.message}`;
    });
    throw new DoveadmStateError(
        "DOVEADM_INVALID_STATE",
        { command: `${kind} ${method}` },
        `the state recorded for this ${kind}${id ? ` (id ${JSON.stringify(id.slice(0, 80))})` : ""} is invalid: ${problems.join("; ")}; nothing was sent to the server`,
        "The state was edited or imported by hand, or written by a bug. Correct the value (pulumi stack export --file state.json, edit, pulumi stack import --file state.json), or drop the resource from the state with `pulumi state delete <urn>` and take the folder over again with adopt: true.",
    );
}

function valueAt(props: unknown, path: ReadonlyArray<PropertyKey>): unknown {
    let current: unknown = props;
    for (const key of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[key];
    }
    return current;
}

/** A recorded mailbox GUID: 32 hexadecimal digits. */
export const guidSchema = z
    .string()
    .regex(/^[0-9a-f]{32}$/, "must be a mailbox GUID (32 hexadecimal digits)");

/** A recorded counter: a whole number, 0 when an older version did not record it. */
export const counterSchema = z.number().int().nonnegative().catch(0);

/** The counters of a mailbox's status, each described: a Mailbox's outputs, and the lookups'. */
export const statusCounters = {
    messages: counterSchema.meta({ description: "Messages in the mailbox when last read." }),
    unseen: counterSchema.meta({ description: "Messages without the `\\Seen` flag when last read." }),
    uidValidity: counterSchema.meta({ description: "The IMAP UIDVALIDITY." }),
    uidNext: counterSchema.meta({ description: "The next IMAP UID to be assigned." }),
    highestModSeq: counterSchema.meta({ description: "The highest modification sequence (CONDSTORE)." }),
    vsize: counterSchema.meta({ description: "The virtual size of the messages, in bytes." }),
};
