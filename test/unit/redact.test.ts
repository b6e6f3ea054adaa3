import { REMOVED, credentialForms, redact, withoutCredentials } from "../../provider/client/redact";

const apiKey = "k3y-Of-The_API+/=";
const password = "pass:word";
const forms = credentialForms({ apiKey, password });
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("removing credentials from quoted server text", () => {
    it.each([
        ["the plain key", apiKey],
        ["the key in base64", b64(apiKey)],
        ["the key in URL-safe base64", Buffer.from(apiKey).toString("base64url")],
        ["the key in base64 without padding", b64(apiKey).replace(/=+$/, "")],
        ["the API key header", `X-Dovecot-API ${b64(apiKey)}`],
        ["the plain password", password],
        ["the Basic pair", `Basic ${b64(`doveadm:${password}`)}`],
        ["the key in hex", Buffer.from(apiKey).toString("hex")],
        ["the key URL-encoded", encodeURIComponent(apiKey)],
        ["the key in upper case", apiKey.toUpperCase()],
    ])("removes %s", (_what, secret) => {
        const text = `<html><pre>GET /doveadm/v1\nX-Echo: ${secret}\n</pre></html>`;
        const out = redact(text, forms);
        expect(out).not.toContain(secret);
        expect(out).toContain("X-Echo");
    });

    it("removes an Authorization header's value whatever it holds", () => {
        const out = redact('{"authorization": "Bearer abc", "x": 1}', []);
        expect(out).not.toContain("abc");
        expect(out).toContain(REMOVED);
        expect(redact("Authorization: X-Dovecot-API Zm9v\r\nHost: h", [])).not.toContain("Zm9v");
    });

    it("shortens long opaque tokens, which may hold a credential at another base64 alignment", () => {
        const wrapped = b64(`x${`Authorization: X-Dovecot-API ${b64(apiKey)}`}`);
        expect(redact(`echo ${wrapped}`, forms)).toBe("echo […]");
    });

    it("keeps ordinary text", () => {
        expect(redact("404 Not Found: no such page", forms)).toBe("404 Not Found: no such page");
    });
});

describe("removing credentials from a message this package composes", () => {
    it("removes every form of the credential and an Authorization header's value", () => {
        const text = `retrying for ${apiKey} (${b64(apiKey)}), Basic ${b64(`doveadm:${password}`)}; authorization: Bearer abc`;
        const out = withoutCredentials(text, forms);
        for (const secret of [apiKey, b64(apiKey), b64(`doveadm:${password}`), "abc"])
            expect(out).not.toContain(secret);
        expect(out).toContain(REMOVED);
    });

    it("keeps long mailbox and user names readable", () => {
        const text = 'mailboxCreate for user "averyveryverylongusername" on mailbox "Archive/2024/Projects"';
        expect(withoutCredentials(text, forms)).toBe(text);
    });
});
