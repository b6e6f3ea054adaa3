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

/**
 * What a read returns to the engine: without `inputs` when it found exactly what was recorded, so
 * that the engine keeps the recorded inputs as they are. Inputs rebuilt from the outputs can differ
 * from the recorded ones where nothing changed (a Mailbox's outputs do not carry the `creator` its
 * inputs have), and the engine writes the whole state again for every resource whose inputs a
 * refresh changed: once per resource, so a drift check that finds nothing costs time quadratic in the
 * stack's size. A read that found a change returns its inputs, as before.
 */
export function keptInputs<R extends { props?: Record<string, unknown>; inputs?: unknown }>(
    result: R,
    recorded: unknown,
): R | Omit<R, "inputs"> {
    if (result?.inputs === undefined || result.props === undefined || !isRecord(recorded)) return result;
    if (!sameRecord(withoutProvider(result.props), withoutProvider(recorded))) return result;
    const { inputs: _replaced, ...kept } = result;
    return kept;
}

/** The properties without the serialized provider object (the SDK's host adds it back). */
function withoutProvider(props: Record<string, unknown>): Record<string, unknown> {
    const { __provider: _provider, ...rest } = props;
    return rest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep equality of plain data, where a property set to undefined is the same as one left out. */
export function sameRecord(a: unknown, b: unknown): boolean {
    if (Array.isArray(a) || Array.isArray(b)) {
        return (
            Array.isArray(a) &&
            Array.isArray(b) &&
            a.length === b.length &&
            a.every((value, i) => sameRecord(value, b[i]))
        );
    }
    if (isRecord(a) && isRecord(b)) {
        const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
        const inA = keys(a);
        return (
            inA.length === keys(b).length &&
            inA.every((k) => Object.hasOwn(b, k) && b[k] !== undefined && sameRecord(a[k], b[k]))
        );
    }
    return a === b;
}
