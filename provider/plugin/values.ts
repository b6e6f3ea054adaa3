// Values as they cross the provider protocol: google.protobuf.Struct on the wire, with Pulumi's own
// encodings inside (a secret is an object carrying a signature key; a value not known yet, in preview,
// is a sentinel string). The handlers take plain values, so secrets are unwrapped where they enter and
// the unknown sentinel is passed on as the handlers know it (check.ts UNKNOWN).
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** The key whose value marks an object as one of Pulumi's special values (secret, asset, resource). */
export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
/** The signature of a secret. */
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

/** A plain JavaScript value. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** True when `value` is a secret in Pulumi's wire encoding. */
export function isSecret(value: unknown): value is { value: Plain } {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[SIGNATURE_KEY] === SECRET_SIGNATURE
    );
}

/** `value` with every secret replaced by what it holds, at any depth. */
export function unwrapSecrets(value: unknown): Plain {
    if (isSecret(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        const result = Object.create(null) as { [key: string]: Plain };
        for (const [key, inner] of Object.entries(value)) result[key] = unwrapSecrets(inner);
        return { ...result };
    }
    return value as Plain;
}

/** A Struct's plain contents (secrets unwrapped); an absent Struct is an empty object. */
export function fromStruct(struct: Struct | undefined): Record<string, Plain> {
    if (!struct) return {};
    return unwrapSecrets(struct.toJavaScript()) as Record<string, Plain>;
}

/** A plain object as a Struct (undefined values left out, as JSON would). */
export function toStruct(value: object | undefined): Struct {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(value ?? {})) as Record<string, never>);
}
