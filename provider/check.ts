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

/** The Pulumi name a resource passed to check() (see NAME_KEY), if any. */
export function nameOf(news: Record<string, unknown> | undefined): string | undefined {
    const name = news?.[NAME_KEY];
    return typeof name === "string" && name !== UNKNOWN ? name : undefined;
}

/**
 * Validates and normalizes `news` against `shape`; returns the normalized inputs and failures. Once
 * every input is valid, `extra` adds the failures that need several inputs, or the resource's name.
 */
export function checkInputs<Shape extends z.ZodRawShape>(
    shape: Shape,
    news: Record<string, unknown>,
    extra?: (inputs: Record<string, unknown>, name: string | undefined) => pulumi.dynamic.CheckFailure[],
): pulumi.dynamic.CheckResult {
    const inputs: Record<string, unknown> = {};
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const [key, value] of Object.entries(news ?? {})) {
        if (PASSTHROUGH.has(key)) inputs[key] = value;
        else if (key !== NAME_KEY && !(key in shape))
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
            const reason = result.error.issues.map((issue) => issue.message).join("; ");
            failures.push({ property: key, reason: `${key} ${reason}` });
        }
    }
    if (failures.length === 0 && extra) failures.push(...extra(inputs, nameOf(news)));
    return failures.length > 0 ? { inputs: news, failures } : { inputs };
}
