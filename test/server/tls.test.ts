// TLS: an https endpoint (a TLS-terminating proxy in front of a real Dovecot, with a private CA made
// for the test) is verified by default; the right CA in dovecot:caCert works, a wrong CA or none fails
// before any request is sent; skipping verification must be asked for and warns.
import { DoveadmClient, resetEndpointState } from "../../provider/client/client";
import { DoveadmConfigError } from "../../provider/client/errors";
import { checkAndCreate, configure } from "../harness/providers";
import { resolveSettings } from "../../provider/settings";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { TestPki, makeTestPki } from "../harness/tls";
import { failure } from "../harness/failure";

jest.setTimeout(60_000);

const ALICE = "alice@example.org";
const quick = { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 };

describe("TLS to the doveadm HTTP API", () => {
    let sandbox: Sandbox;
    let pki: TestPki;
    let other: TestPki;
    let proxy: FaultProxy;

    const client = (env: Record<string, string>) => {
        resetEndpointState();
        return new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: proxy.endpoint,
                DOVEADM_API_KEY: sandbox.apiKey,
                ...env,
            }),
            {},
            quick,
        );
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        pki = makeTestPki("right");
        other = makeTestPki("wrong");
        proxy = await startFaultProxy({
            target: sandbox.endpoint,
            tls: { key: pki.serverKey, cert: pki.serverCert },
        });
    });
    afterAll(async () => {
        await proxy?.close();
        await sandbox?.stop();
    });
    beforeEach(() => proxy.reset());

    it("the endpoint is https", () => {
        expect(proxy.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        expect(
            resolveSettings(undefined, { DOVEADM_ENDPOINT: proxy.endpoint, DOVEADM_API_KEY: "k" })
                .insecureSkipVerify,
        ).toBe(false);
    });

    it("works with the private CA in dovecot:caCert", async () => {
        await client({ DOVEADM_CA_CERT: pki.caCert }).mailboxCreate(ALICE, ["Over/Tls"]);
        expect(await sandbox.status(ALICE, "Over/Tls")).toBeDefined();
        expect(proxy.count("mailboxCreate")).toBe(1);
    });

    it("verifies by default: without a CA the connection fails before any request, with advice", async () => {
        const error = await failure(client({}).mailboxCreate(ALICE, ["No/Ca"]));
        expect(error).toBeInstanceOf(DoveadmConfigError);
        expect(error.code).toBe("DOVEADM_TLS");
        expect(error.message).toContain("dovecot:caCert");
        expect(error.message).not.toContain(sandbox.apiKey);
        expect(proxy.requests).toHaveLength(0);
        expect(await sandbox.status(ALICE, "No/Ca")).toBeUndefined();
    });

    it("a wrong CA fails the same way, and stops further requests", async () => {
        const wrong = client({ DOVEADM_CA_CERT: other.caCert });
        const error = await failure(wrong.mailboxCreate(ALICE, ["Wrong/Ca"]));
        expect(error).toBeInstanceOf(DoveadmConfigError);
        expect(error.code).toBe("DOVEADM_TLS");
        expect(error.fatal).toBe(true);
        const again = await failure(wrong.mailboxList(ALICE));
        expect(again.code).toBe("DOVEADM_TLS");
        expect(proxy.requests).toHaveLength(0);
        expect(await sandbox.status(ALICE, "Wrong/Ca")).toBeUndefined();
    });

    it("a certificate for another host fails even when its CA is trusted", async () => {
        const elsewhere = makeTestPki("elsewhere", "DNS:elsewhere.example");
        const wrongHost = await startFaultProxy({
            target: sandbox.endpoint,
            tls: { key: elsewhere.serverKey, cert: elsewhere.serverCert },
        });
        try {
            resetEndpointState();
            const mismatched = new DoveadmClient(
                resolveSettings(undefined, {
                    DOVEADM_ENDPOINT: wrongHost.endpoint,
                    DOVEADM_API_KEY: sandbox.apiKey,
                    DOVEADM_CA_CERT: elsewhere.caCert,
                }),
                {},
                quick,
            );
            const error = await failure(mismatched.mailboxCreate(ALICE, ["Wrong/Host"]));
            expect(error).toBeInstanceOf(DoveadmConfigError);
            expect(error.code).toBe("DOVEADM_TLS");
            expect(wrongHost.requests).toHaveLength(0);
            expect(await sandbox.status(ALICE, "Wrong/Host")).toBeUndefined();
        } finally {
            await wrongHost.close();
        }
    });

    it("skipping verification must be explicit, and the provider warns when it is set", async () => {
        const warnings: string[] = [];
        const warn = jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
            warnings.push(args.map(String).join(" "));
        });
        try {
            const base = { "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey };
            const create = async (name: string) => {
                return checkAndCreate("mailbox", { user: ALICE, name });
            };

            await configure({ ...base, "dovecot:insecureSkipVerify": "false" });
            await expect(create("Not/Skipped")).rejects.toMatchObject({ code: "DOVEADM_TLS" });
            expect(warnings).toEqual([]);

            await configure({ ...base, "dovecot:insecureSkipVerify": "true" });
            const { id } = await create("Skipped/Verify");
            expect(id).toBe((await sandbox.status(ALICE, "Skipped/Verify"))?.guid);
            expect(warnings).toHaveLength(1);
            expect(warnings[0]).toMatch(/TLS certificate verification is OFF/);
            expect(warnings[0]).toContain(proxy.endpoint);
            expect(warnings[0]).not.toContain(sandbox.apiKey);
        } finally {
            warn.mockRestore();
        }
    });
});
