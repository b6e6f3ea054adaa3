// No credential anywhere it could be read: not in the state (`pulumi stack export` and every file of
// the backend), not in the CLI's output or its verbose engine log, not in any error message, whether
// the run succeeds, meets a stopped server, or is refused for a wrong key. Both the API key and the
// doveadm password are configured (as secrets), and every spelling of them is searched for.
import { readFileSync, writeFileSync } from "node:fs";
import { inspect } from "node:util";
import { DoveadmClient, resetEndpointState } from "../../provider/client/client";
import { DoveadmError } from "../../provider/client/errors";
import { resolveSettings } from "../../provider/settings";
import { startFaultProxy } from "../harness/fault-proxy";
import { filesUnder, readProjectFile, ResourceSpec } from "../harness/pulumi";
import { dovecotForSuite, projectForSuite } from "../harness/suite";

jest.setTimeout(240_000);

const ALICE = "alice@example.org";
const WRONG_KEY = "wrong-key-7f3e9c1d5a";

describe("credentials never leak", () => {
    const sandbox = dovecotForSuite({ users: ["alice"] });
    let secrets: string[];
    const outputs: string[] = [];
    const resources: ResourceSpec[] = [
        { kind: "Mailbox", name: "a", args: { user: ALICE, name: "Secret/A" } },
        { kind: "Mailbox", name: "b", args: { user: ALICE, name: "Secret/B", subscribed: false } },
        { kind: "Subscription", name: "s", args: { user: ALICE, mailbox: "Shared/X" } },
        { kind: "Reload", name: "r", args: { triggers: ["1"] } },
    ];
    const expectClean = (text: string, where: string) => {
        for (const secret of secrets) {
            if (text.includes(secret))
                throw new Error(`a credential (${secret.slice(0, 3)}...) appears in ${where}`);
        }
    };

    const project = projectForSuite(sandbox, "credentials", { resources });

    beforeAll(async () => {
        secrets = [
            sandbox.apiKey,
            sandbox.password,
            Buffer.from(sandbox.apiKey).toString("base64"),
            Buffer.from(`doveadm:${sandbox.password}`).toString("base64"),
            WRONG_KEY,
            Buffer.from(WRONG_KEY).toString("base64"),
        ];
        await project.setConfig("dovecot:password", sandbox.password, { secret: true });
        await project.setConfig("dovecot:timeoutMs", "2000");
    });

    it("a successful up, with the engine's verbose log, shows no credential", async () => {
        const result = await project.up({ args: ["--logtostderr", "-v=9"] });
        outputs.push(result.output);
        expect(result.output.length).toBeGreaterThan(10_000); // the verbose log really is there
        expectClean(result.output, "the output of pulumi up -v=9");
        expect(await sandbox.status(ALICE, "Secret/A")).toBeDefined();
    });

    it("a run against a stopped server, and one with a wrong key, fail without showing any credential", async () => {
        project.setResources([
            ...resources,
            { kind: "Mailbox", name: "c", args: { user: ALICE, name: "Secret/C" } },
        ]);
        await sandbox.stopServer();
        try {
            const down = await project.up({ allowFailure: true });
            outputs.push(down.output);
            expect(down.code).not.toBe(0);
            expect(down.output).toContain("could not connect");
            expectClean(down.output, "the output of a failed up (server stopped)");
        } finally {
            await sandbox.startServer();
        }

        await project.setConfig("dovecot:apiKey", WRONG_KEY, { secret: true });
        const refused = await project.up({ allowFailure: true });
        outputs.push(refused.output);
        expect(refused.code).not.toBe(0);
        expect(refused.output).toContain("HTTP 401");
        expectClean(refused.output, "the output of a failed up (wrong key)");
        await project.setConfig("dovecot:apiKey", sandbox.apiKey, { secret: true });
        const fixed = await project.up();
        outputs.push(fixed.output);
        expectClean(fixed.output, "the output of pulumi up");
        expect(await sandbox.status(ALICE, "Secret/C")).toBeDefined();
    });

    it("neither pulumi stack export, nor any file of the backend, nor the stack config file holds a credential", async () => {
        const exported = await project.exportText();
        expect(exported).toContain("dovecot:Mailbox");
        expectClean(exported, "pulumi stack export");
        // Decrypted on request, the engine's own record of the stack configuration (the default
        // provider's inputs, stored encrypted above) holds it; no resource of this package does.
        const shown = await project.pulumi(["stack", "export", "--show-secrets", "--stack", project.stack]);
        const decrypted = JSON.parse(shown.stdout) as {
            deployment: { resources: Array<{ type: string; urn: string }> };
        };
        const holders = decrypted.deployment.resources.filter((r) =>
            secrets.some((secret) => JSON.stringify(r).includes(secret)),
        );
        for (const holder of holders) expect(holder.type).toMatch(/^pulumi:providers:/);
        for (const resource of decrypted.deployment.resources.filter((r) => r.type.includes("dovecot")))
            expectClean(JSON.stringify(resource), `${resource.urn} (decrypted)`);
        for (const file of filesUnder(project.stateDir)) expectClean(readFileSync(file, "utf8"), file);
        const config = readProjectFile(project, `Pulumi.${project.stack}.yaml`);
        expect(config).toContain("secure:");
        expectClean(config, "Pulumi.test.yaml");
        for (const text of outputs) expectClean(text, "a command's output");
    });

    it("refresh and destroy use the settings recorded at the last up; after a key rotation, up (or --run-program) takes the new one", async () => {
        // What docs/guides/least-privilege.md says about rotating a key, measured: the engine hands
        // refresh and destroy the provider settings recorded in the state by the last `pulumi up`.
        const rotated = `rotated-${sandbox.apiKey.slice(0, 6)}-key`;
        secrets.push(rotated, Buffer.from(rotated).toString("base64"));
        const useKey = async (key: string) => {
            const config = readFileSync(sandbox.configPath, "utf8").replace(
                /^doveadm_api_key = .*$/m,
                `doveadm_api_key = ${key}`,
            );
            writeFileSync(sandbox.configPath, config);
            await sandbox.doveadm(["reload"]);
            const auth = { authorization: `X-Dovecot-API ${Buffer.from(key).toString("base64")}` };
            for (let i = 0; i < 100; i++) {
                const answer = await fetch(`${sandbox.endpoint}/doveadm/v1`, { headers: auth }).catch(
                    () => undefined,
                );
                if (answer?.status === 200) return;
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            throw new Error("the server did not take the new key");
        };
        // Removed from the configuration: refresh still reaches the server with the recorded settings.
        await project.pulumi(["config", "rm", "dovecot:endpoint", "--stack", project.stack]);
        const unconfigured = await project.refresh({ allowFailure: true });
        outputs.push(unconfigured.output);
        expect(unconfigured.code).toBe(0);
        await project.setConfig("dovecot:endpoint", sandbox.endpoint);

        await useKey(rotated);
        try {
            await project.setConfig("dovecot:apiKey", rotated, { secret: true });
            const stale = await project.refresh({ allowFailure: true });
            outputs.push(stale.output);
            expect(stale.code).not.toBe(0);
            expect(stale.output).toContain("HTTP 401");
            expect(stale.output).toContain("--run-program");
            const current = await project.pulumi(
                [
                    "refresh",
                    "--yes",
                    "--skip-preview",
                    "--non-interactive",
                    "--stack",
                    project.stack,
                    "--run-program",
                ],
                { allowFailure: true },
            );
            outputs.push(current.output);
            expect(current.code).toBe(0);
            const up = await project.up();
            outputs.push(up.output);
            const after = await project.refresh();
            outputs.push(after.output);
            expect(after.code).toBe(0);
        } finally {
            // Back to the sandbox's own key, for the tests after this one.
            await useKey(sandbox.apiKey);
            await project.setConfig("dovecot:apiKey", sandbox.apiKey, { secret: true });
            await project.up();
        }
        for (const text of outputs) expectClean(text, "a command's output");
    });

    it("no error message of the client names a credential, whatever failed", async () => {
        const proxy = await startFaultProxy({ target: sandbox.endpoint });
        const messages: string[] = [];
        const attempt = async (env: Record<string, string>, rules: Parameters<typeof proxy.setRules>[0]) => {
            resetEndpointState();
            proxy.setRules(rules);
            const client = new DoveadmClient(
                resolveSettings(undefined, { DOVEADM_ENDPOINT: proxy.endpoint, ...env }),
                {},
                { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
            );
            try {
                await client.mailboxCreate(ALICE, ["Err/X"]);
            } catch (error) {
                expect(error).toBeInstanceOf(DoveadmError);
                const e = error as DoveadmError;
                messages.push(
                    `${e.message}\n${e.stack ?? ""}\n${JSON.stringify(e)}\n${inspect(e.cause ?? "")}`,
                );
            }
        };
        try {
            const key = { DOVEADM_API_KEY: sandbox.apiKey };
            const password = { DOVEADM_PASSWORD: sandbox.password };
            await attempt({ DOVEADM_API_KEY: WRONG_KEY }, []);
            await attempt({ DOVEADM_PASSWORD: WRONG_KEY }, []);
            await attempt(key, [{ command: "*", action: { kind: "close-before" } }]);
            await attempt(password, [{ command: "*", action: { kind: "exit", exitCode: 75 } }]);
            await attempt(key, [{ command: "*", action: { kind: "status", status: 500 } }]);
            await attempt({ ...key, DOVEADM_TIMEOUT_MS: "200" }, [
                { command: "*", action: { kind: "delay", ms: 400 } },
            ]);
            expect(messages).toHaveLength(6);
            for (const message of messages) expectClean(message, `the error ${message.slice(0, 80)}`);
        } finally {
            await proxy.close();
        }
        // Settings errors never echo a value either.
        try {
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: `http://doveadm:${sandbox.password}@127.0.0.1:1`,
            });
            throw new Error("expected a settings error");
        } catch (error) {
            expectClean(String(error), "a settings error");
        }
    });
});
