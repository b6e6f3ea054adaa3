import { SettingsError, authorizationHeader, resolveSettings } from "../../provider/settings";

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
        try {
            resolveSettings(undefined, {});
        } catch (error) {
            const message = (error as Error).message;
            expect(message).toContain("dovecot:endpoint");
            expect(message).toContain("DOVEADM_ENDPOINT");
            expect(message).toContain("dovecot:apiKey");
            expect(message).toContain("dovecot:password");
        }
    });

    it("requires a credential", () => {
        expect(() => resolveSettings(undefined, { DOVEADM_ENDPOINT: "http://127.0.0.1:1" })).toThrow(
            /dovecot:apiKey \(or DOVEADM_API_KEY\) or dovecot:password/,
        );
    });

    it("rejects malformed values without echoing them", () => {
        const secret = "s3cr3t-value-XYZ";
        let message = "";
        try {
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: `http://doveadm:${secret}@127.0.0.1:1`,
                DOVEADM_API_KEY: secret,
                DOVEADM_TIMEOUT_MS: "soon",
                DOVEADM_MAX_CONCURRENCY: "0",
            });
        } catch (error) {
            message = (error as Error).message;
        }
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
});
