// Turns a zod object schema into a dynamic provider check(): every input is validated on its own so
// each failure points at its exact property, and inputs still unknown at preview time are let through.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** The value Pulumi passes for an input that is not known yet (it depends on another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Internal keys the engine adds to inputs, passed through untouched. */
const PASSTHROUGH = new Set(["__provider"]);

/**
 * The input under which the resource classes pass their Pulumi name, so that check() can name the
 * resource in its messages (the engine does not tell a dynamic provider's check() which resource it
 * checks). check() drops it, so it is never stored: the state stays as it was.
 */
export const NAME_KEY = "__declaredAs";

/**
 * The input under which the `dovecot` package's provider tells check() that a resource was declared
 * through the package (the dynamic resources leave it out); dropped like NAME_KEY.
 */
export const FACE_KEY = "__declaredThrough";

/** Which resource check() checks, as far as it was told: its Pulumi name and the face that declared it. */
export interface Declarer {
    /** The resource's Pulumi name (see NAME_KEY), if known. */
    name: string | undefined;
    /** `package` for a resource of the `dovecot` package, else `dynamic`. */
    face: "dynamic" | "package";
}

/** The Pulumi name a resource passed to check() (see NAME_KEY), if any. */
export function nameOf(news: Record<string, unknown> | undefined): string | undefined {
    const name = news?.[NAME_KEY];
    return typeof name === "string" && name !== UNKNOWN ? name : undefined;
}

/** Which resource `news` are the inputs of (see NAME_KEY and FACE_KEY). */
export function declarerOf(news: Record<string, unknown> | undefined): Declarer {
    return { name: nameOf(news), face: news?.[FACE_KEY] === "package" ? "package" : "dynamic" };
}

/** `[0].name` for the path `[0, "name"]` of an issue inside an input. */
function pathText(path: readonly PropertyKey[]): string {
    return path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
}

/** Values longer than this are not quoted whole in a failure (see failureOf). */
const SHOWN_LENGTH = 1024;

/**
 * A check() failure of `property`, whose value is `value`, for `reason` (which starts with the
 * property's name). The engine prints the value of a failure's property beside it, whole: a script of
 * a megabyte would fill the screen, twice. So a long value is reported without a property, with its
 * size and the start of it instead.
 */
export function failureOf(property: string, value: unknown, reason: string): pulumi.dynamic.CheckFailure {
    if (typeof value !== "string" || value.length <= SHOWN_LENGTH) return { property, reason };
    const size = Buffer.byteLength(value, "utf8");
    const start = JSON.stringify(value.slice(0, 40));
    const shown = `${property} (${size.toLocaleString("en-US")} bytes of UTF-8, starting ${start.slice(0, -1)}…")`;
    return {
        property: "",
        reason: reason.startsWith(property)
            ? `${shown}${reason.slice(property.length)}`
            : `${shown}: ${reason}`,
    };
}

/**
 * Validates and normalizes `news` against `shape`; returns the normalized inputs and failures. Once
 * every input is valid, `extra` adds the failures that need several inputs, or the resource's name.
 */
export function checkInputs<Shape extends z.ZodRawShape>(
    shape: Shape,
    news: Record<string, unknown>,
    extra?: (inputs: Record<string, unknown>, declarer: Declarer) => pulumi.dynamic.CheckFailure[],
): pulumi.dynamic.CheckResult {
    const inputs: Record<string, unknown> = {};
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const [key, value] of Object.entries(news ?? {})) {
        if (PASSTHROUGH.has(key)) inputs[key] = value;
        else if (key !== NAME_KEY && key !== FACE_KEY && !(key in shape))
            failures.push({ property: key, reason: `unknown property '${key}'` });
    }
    for (const [key, schema] of Object.entries(shape)) {
        const value = news?.[key];
        if (value === UNKNOWN) {
            inputs[key] = value;
            continue;
        }
        const result = (schema as z.ZodType).safeParse(value);
        if (result.success) {
            if (result.data !== undefined) inputs[key] = result.data;
        } else {
            // Each issue under its exact place: `folders[0].name must be a string`.
            const reason = result.error.issues
                .map((issue) => `${key}${pathText(issue.path)} ${issue.message}`)
                .join("; ");
            failures.push(failureOf(key, value, reason));
        }
    }
    if (failures.length === 0 && extra) failures.push(...extra(inputs, declarerOf(news)));
    return failures.length > 0 ? { inputs: news, failures } : { inputs };
}
