// An endpoint that reflects the request back (a misconfigured proxy or error page) puts the
// Authorization header into the answer. Quoted in an error, it would reach the CLI's output and
// Pulumi's state (initErrors, backups, history), and Pulumi masks only the plain secret, not its
// encodings. Every form of the credential is removed before any server text enters a message.
import { readFileSync } from "node:fs";
import { DoveadmClient } from "../../provider/client/client";
import { resolveSettings } from "../../provider/settings";
import { RequestView } from "../harness/fault-proxy";
import { rejection } from "../harness/providers";
import { filesUnder, PulumiProject } from "../harness/pulumi";
import { dovecotForSuite, proxyForSuite } from "../harness/suite";

jest.setTimeout(240_000);

const ALICE = "alice@example.org";

/** A page that echoes the request, headers and all, as some proxies' error pages do. */
const echo = (request: RequestView) =>
    `<html><body><h1>Bad gateway</h1><pre>${request.method} ${request.url}\n${Object.entries(request.headers)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join("\n")}</pre></body></html>`;
/** The same as JSON, as an API gateway's debug answer does. */
const echoJson = (request: RequestView) =>
    JSON.stringify({ error: "upstream", request: { headers: request.headers } });

function forms(secret: string, basic = false): string[] {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    return basic
        ? [secret, b64(`doveadm:${secret}`), b64(`doveadm:${secret}`).replace(/=+$/, "")]
        : [secret, b64(secret), b64(secret).replace(/=+$/, ""), Buffer.from(secret).toString("base64url")];
}

describe("credentials reflected by the endpoint never reach a message", () => {
    const sandbox = dovecotForSuite({ users: ["alice"] });
    const proxy = proxyForSuite(sandbox);

    it.each([
        ["an HTML page, API key", echo, "apiKey"],
        ["a JSON answer, API key", echoJson, "apiKey"],
        ["an HTML page, password", echo, "password"],
        ["a JSON answer, password", echoJson, "password"],
    ] as const)("from %s", async (_what, body, auth) => {
        proxy.setRules([{ command: "*", action: { kind: "reply", body, contentType: "text/html" } }]);
        const secret = auth === "apiKey" ? sandbox.apiKey : sandbox.password;
        const client = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: proxy.endpoint,
                ...(auth === "apiKey" ? { DOVEADM_API_KEY: secret } : { DOVEADM_PASSWORD: secret }),
            }),
        );
        const error = await rejection(client.mailboxList(ALICE));
        expect(error?.code).toBe("DOVEADM_BAD_RESPONSE");
        // The excerpt is still there to help (it names what answered), minus the credential.
        expect(error.message).toMatch(/Bad gateway|upstream/);
        const everything = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
        for (const form of forms(secret, auth === "password")) expect(everything).not.toContain(form);
        expect(everything).not.toMatch(/X-Dovecot-API [A-Za-z0-9+/=]{8,}|Basic [A-Za-z0-9+/=]{8,}/);
        // The proxy really did echo it: the test would see it if the client quoted the body raw.
        expect(
            body({
                method: "POST",
                url: "/",
                headers: { authorization: "X-Dovecot-API c2VjcmV0" },
                body: "",
                tags: [],
            }),
        ).toContain("c2VjcmV0");
    });

    /**
     * Every 8-character piece of every form of `secret` that `text` holds: a credential cut in two is
     * still half a credential.
     */
    const pieces = (text: string, secret: string) => {
        const found: string[] = [];
        for (const form of forms(secret))
            for (let i = 0; i + 8 <= form.length; i++)
                if (text.includes(form.slice(i, i + 8))) found.push(form.slice(i, i + 8));
        return found;
    };

    /** Runs `pulumi up` of one Mailbox against the proxy with `key`; returns everything it left to read. */
    const upThroughCli = async (key: string, name: string) => {
        const project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: key },
            name,
            resources: [{ kind: "Mailbox", name: "box", args: { user: ALICE, name: "Box" } }],
        });
        try {
            const up = await project.up({ allowFailure: true });
            expect(up.code).not.toBe(0);
            return {
                output: up.output,
                texts: [
                    up.output,
                    await project.exportText(),
                    ...filesUnder(project.stateDir).map((f) => readFileSync(f, "utf8")),
                ],
            };
        } finally {
            project.cleanup();
        }
    };

    it.each([
        ["a 14-character key", "k3y-0f-14-chrs"],
        ["a 36-character key", "a-36-character-key-of-the-doveadm-ap"],
    ])(
        "a doveadm-shaped error whose type echoes the Authorization header, %s, through the CLI: no piece of the key anywhere",
        async (_what, key) => {
            expect(key.length === 14 || key.length === 36).toBe(true);
            proxy.setRules([
                {
                    command: "*",
                    action: {
                        kind: "reply",
                        body: (request) =>
                            JSON.stringify(
                                request.tags.map((tag) => [
                                    "error",
                                    { type: String(request.headers.authorization), exitCode: 0 },
                                    tag,
                                ]),
                            ),
                    },
                },
            ]);
            const { output, texts } = await upThroughCli(key, "echoed-type");
            // The error is the server's odd type, quoted, less the credential.
            expect(output).toMatch(/reported an error of type "X-Dovecot-API \[credential removed\]"/);
            for (const text of texts) expect(pieces(text, key)).toEqual([]);
        },
    );

    it.each([
        // The header as sent (the base64 of the key); a page that decodes it and shows the key itself.
        [
            "the Authorization header",
            (key: string) => `X-Dovecot-API ${Buffer.from(key).toString("base64")}`,
            1970,
        ],
        ["the decoded key", (key: string) => key, 1979],
    ])(
        "a plain-text echo of %s crossing the 2,000th character, through the CLI: no piece of the key anywhere",
        async (_what, shown, at) => {
            const key = "k3y.w1th!punct$and%36+characters&ok!";
            expect(key.length).toBe(36);
            // A long opaque token (which collapses when quoted), then the echo, straddling character
            // 2,000 of the body.
            const body = `${"T".repeat(at)} ${shown(key)} and more`;
            const cut = body.slice(0, 2000);
            expect(forms(key).some((form) => cut.includes(form))).toBe(false);
            expect(pieces(cut, key).length).toBeGreaterThan(0);
            proxy.setRules([
                { command: "*", action: { kind: "reply", contentType: "text/plain", body: () => body } },
            ]);
            const { output, texts } = await upThroughCli(key, "echoed-text");
            expect(output).toMatch(/not a doveadm response/);
            for (const text of texts) expect(pieces(text, key)).toEqual([]);
        },
    );

    it("through the pulumi CLI: not in the output, the state, its backups or history", async () => {
        proxy.setRules([{ command: "*", action: { kind: "reply", body: echo, contentType: "text/html" } }]);
        const project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "reflected-credentials",
            resources: [{ kind: "Mailbox", name: "box", args: { user: ALICE, name: "Box" } }],
        });
        try {
            const up = await project.up({ allowFailure: true });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(/not a doveadm response/);
            const texts = [
                up.output,
                await project.exportText(),
                ...filesUnder(project.stateDir).map((f) => readFileSync(f, "utf8")),
            ];
            for (const text of texts)
                for (const form of forms(sandbox.apiKey)) expect(text).not.toContain(form);
        } finally {
            project.cleanup();
        }
    });
});
