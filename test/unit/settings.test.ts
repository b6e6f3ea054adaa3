import { SettingsError, apiUrl, authorizationHeader, resolveSettings } from "../../provider/settings";
import { thrownMessage } from "../harness/failure";
import { makeTestPki } from "../harness/tls";

const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

describe("connection settings", () => {
    it("reads the stack configuration and appends /doveadm/v1", () => {
        const s = resolveSettings(
            config({ "dovecot:endpoint": "http://127.0.0.1:8080", "dovecot:apiKey": "k" }),
            {},
        );
        expect(s.endpoint).toBe("http://127.0.0.1:8080/doveadm/v1");
        expect(s.timeoutMs).toBe(30_000);
        expect(s.maxConcurrency).toBe(4);
        expect(s.insecureSkipVerify).toBe(false);
    });

    it("keeps an explicit /doveadm/v1 path", () => {
        const s = resolveSettings(undefined, {
            DOVEADM_ENDPOINT: "https://mail.example.org/doveadm/v1/",
            DOVEADM_PASSWORD: "p",
        });
        expect(s.endpoint).toBe("https://mail.example.org/doveadm/v1");
    });

    it("falls back to the environment key by key", () => {
        const s = resolveSettings(config({ "dovecot:endpoint": "http://127.0.0.1:1" }), {
            DOVEADM_API_KEY: "from-env",
            DOVEADM_TIMEOUT_MS: "1500",
            DOVEADM_MAX_CONCURRENCY: "8",
            DOVEADM_INSECURE_SKIP_VERIFY: "true",
        });
        expect(s.apiKey).toBe("from-env");
        expect(s.timeoutMs).toBe(1500);
        expect(s.maxConcurrency).toBe(8);
        expect(s.insecureSkipVerify).toBe(true);
    });

    it("names every setting that would fix a missing configuration", () => {
        expect(() => resolveSettings(undefined, {})).toThrow(SettingsError);
        const message = thrownMessage(() => resolveSettings(undefined, {}));
        expect(message).toContain("dovecot:endpoint");
        expect(message).toContain("DOVEADM_ENDPOINT");
        expect(message).toContain("dovecot:apiKey");
        expect(message).toContain("dovecot:password");
    });

    it("requires a credential", () => {
        expect(() => resolveSettings(undefined, { DOVEADM_ENDPOINT: "http://127.0.0.1:1" })).toThrow(
            /dovecot:apiKey \(or DOVEADM_API_KEY\) or dovecot:password/,
        );
    });

    it("rejects malformed values without echoing them", () => {
        const secret = "s3cr3t-value-XYZ";
        const message = thrownMessage(() =>
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: `http://doveadm:${secret}@127.0.0.1:1`,
                DOVEADM_API_KEY: secret,
                DOVEADM_TIMEOUT_MS: "soon",
                DOVEADM_MAX_CONCURRENCY: "0",
            }),
        );
        expect(message).toContain("dovecot:endpoint");
        expect(message).toContain("dovecot:timeoutMs");
        expect(message).toContain("dovecot:maxConcurrency");
        expect(message).not.toContain(secret);
    });

    it("builds the API key header, or Basic auth as user doveadm", () => {
        const base = {
            endpoint: "http://x/doveadm/v1",
            insecureSkipVerify: false,
            timeoutMs: 1,
            maxConcurrency: 1,
            separator: "/",
        };
        expect(authorizationHeader({ ...base, apiKey: "key" })).toBe(
            `X-Dovecot-API ${Buffer.from("key").toString("base64")}`,
        );
        expect(authorizationHeader({ ...base, password: "pw" })).toBe(
            `Basic ${Buffer.from("doveadm:pw").toString("base64")}`,
        );
    });

    it.each([
        ["http://h:8080", "http://h:8080/doveadm/v1"],
        ["http://h:8080/", "http://h:8080/doveadm/v1"],
        ["http://h:8080/doveadm", "http://h:8080/doveadm/v1"],
        ["http://h:8080/doveadm/", "http://h:8080/doveadm/v1"],
        ["http://h:8080/doveadm/v1", "http://h:8080/doveadm/v1"],
        ["http://h:8080/doveadm/v1/../", "http://h:8080/doveadm/v1"],
        ["http://h:8080/doveadm/v1/..", "http://h:8080/doveadm/v1"],
        ["http://h:8080/mail", "http://h:8080/mail/doveadm/v1"],
        ["http://h:8080/mail/doveadm/v1?x=1#f", "http://h:8080/mail/doveadm/v1"],
    ])("turns the endpoint %s into the API URL %s", (endpoint, url) => {
        expect(apiUrl(endpoint)).toBe(url);
    });

    it.each([
        ["TRUE", true],
        ["True", true],
        ["yes", true],
        ["FALSE", false],
        ["0", false],
    ])("reads insecureSkipVerify %j in any letter case", (text, value) => {
        const s = resolveSettings(undefined, {
            DOVEADM_ENDPOINT: "https://h",
            DOVEADM_API_KEY: "k",
            DOVEADM_INSECURE_SKIP_VERIFY: text,
        });
        expect(s.insecureSkipVerify).toBe(value);
    });

    it.each([
        [
            "DOVEADM_INSECURE_SKIP_VERIFY",
            "maybe",
            /dovecot:insecureSkipVerify \(or DOVEADM_INSECURE_SKIP_VERIFY\): must be true or false/,
        ],
        [
            "DOVEADM_TIMEOUT_MS",
            "-1",
            /dovecot:timeoutMs \(or DOVEADM_TIMEOUT_MS\): must be a whole number of milliseconds from 100 to 600000/,
        ],
        ["DOVEADM_TIMEOUT_MS", "1.5", /must be a whole number of milliseconds from 100 to 600000/],
        [
            "DOVEADM_MAX_CONCURRENCY",
            "100",
            /dovecot:maxConcurrency .*: must be a whole number of requests from 1 to 64/,
        ],
    ])("says what %s allows when it is %j", (variable, value, message) => {
        expect(() =>
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: "http://h",
                DOVEADM_API_KEY: "k",
                [variable]: value,
            }),
        ).toThrow(message);
    });

    it("accepts a CA bundle whose certificates parse, and refuses a malformed one before anything is sent", () => {
        const { caCert: certPem } = makeTestPki();
        const ok = resolveSettings(undefined, {
            DOVEADM_ENDPOINT: "https://h",
            DOVEADM_API_KEY: "k",
            DOVEADM_CA_CERT: `${certPem}\n${certPem}`,
        });
        expect(ok.caCert).toContain("BEGIN CERTIFICATE");
        const broken = certPem.replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!");
        expect(() =>
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: "https://h",
                DOVEADM_API_KEY: "k",
                DOVEADM_CA_CERT: broken,
            }),
        ).toThrow(/dovecot:caCert .*: is not a valid PEM certificate: certificate 1 of 1 does not parse/);
        expect(() =>
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: "https://h",
                DOVEADM_API_KEY: "k",
                DOVEADM_CA_CERT: "hello",
            }),
        ).toThrow(/dovecot:caCert .*: must be a PEM certificate/);
    });
});
