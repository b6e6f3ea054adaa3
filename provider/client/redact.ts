// Removes credentials from text that came from a server before it goes into an error message. A
// misconfigured proxy or error page may echo the request back, Authorization header included, and
// Pulumi masks only the plain secret in its output, not its encodings: a base64 of the key is the key.

/** What replaces a credential (in any form) in quoted server text. */
export const REMOVED = "[credential removed]";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");
const hex = (text: string) => Buffer.from(text, "utf8").toString("hex");

/**
 * Every form in which a credential may travel or be echoed: plain, JSON- and URL-escaped, hex, and
 * base64 (standard, URL-safe, without padding) of the key, the password and the HTTP Basic pair
 * `doveadm:<password>`. Longest first, so a form is removed before any part of it.
 */
export function credentialForms(secrets: { apiKey?: string; password?: string }): string[] {
    const forms = new Set<string>();
    const add = (form: string) => {
        if (form.length > 0) forms.add(form);
        const unpadded = form.replace(/=+$/, "");
        if (unpadded.length > 0) forms.add(unpadded);
        forms.add(encodeURIComponent(form));
    };
    const encodings = (text: string) => {
        add(text);
        add(JSON.stringify(text).slice(1, -1));
        add(hex(text));
        add(base64(text));
        add(base64url(text));
    };
    if (secrets.apiKey) encodings(secrets.apiKey);
    if (secrets.password) {
        encodings(secrets.password);
        encodings(`doveadm:${secrets.password}`);
    }
    return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `text` with every credential form removed and any Authorization header's value removed whatever it
 * holds. Meant for text this package composes (a progress message naming users and mailboxes, whose
 * long names must stay readable); server text goes through `redact`.
 */
export function withoutCredentials(text: string, forms: readonly string[]): string {
    let result = text;
    for (const form of forms) result = result.replace(new RegExp(escape(form), "gi"), REMOVED);
    return result.replace(/(authorization["']?\s*[:=]\s*["']?)[^\r\n"',;}]*/gi, `$1${REMOVED}`);
}

/**
 * `text` without credentials (see `withoutCredentials`), and every long opaque token (base64 or hex
 * at any alignment, which may embed a credential inside a larger encoded blob) shortened to a marker.
 * Meant for short excerpts of server answers.
 */
export function redact(text: string, forms: readonly string[]): string {
    return withoutCredentials(text, forms).replace(/[A-Za-z0-9+/_-]{20,}={0,2}/g, "[…]");
}
