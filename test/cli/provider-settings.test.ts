// The settings of a provider and where they point, through the real CLI: an explicit provider pointed
// at another server makes its folders there and says what stays behind, one pointed at the same
// server under another endpoint changes nothing; a malformed `dovecot:servers` stops the run whether or
// not a resource names a server; a credential in the stack file in plain text is named with the
// command that encrypts it (both faces); an endpoint holding credentials is refused and never shown or
// stored in plain text; an explicit provider's empty endpoint is named as that provider's property.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject } from "../harness/pulumi";
import { YamlProject } from "../harness/yaml";
import { ALICE } from "../harness/accounts";

jest.setTimeout(600_000);

describe("provider settings through the CLI", () => {
    let a: Sandbox;
    let b: Sandbox;
    let sameAsA: FaultProxy;

    beforeAll(async () => {
        [a, b] = await Promise.all([startDovecot({ users: ["alice"] }), startDovecot({ users: ["alice"] })]);
        // Server A under another endpoint: a proxy in front of it.
        sameAsA = await startFaultProxy({ target: a.endpoint });
    });
    afterAll(async () => {
        await sameAsA?.close();
        await Promise.all([a?.stop(), b?.stop()]);
    });

    describe("an explicit provider pointed elsewhere", () => {
        let project: YamlProject;
        const program = (endpoint: string, apiKey: string) => ({
            resources: {
                backend: { type: "pulumi:providers:dovecot", properties: { endpoint, apiKey } },
                archive: {
                    type: "dovecot:index:Mailbox",
                    properties: { user: ALICE, name: "Archive" },
                    options: { provider: "${backend}" },
                },
            },
        });
        const guidIn = async () =>
            (await project.stateResources()).find((r) => r.urn.endsWith("::archive"))?.outputs?.guid;

        beforeAll(async () => {
            project = await YamlProject.create({
                name: "moved-endpoint",
                program: program(a.endpoint, a.apiKey),
            });
        });
        afterAll(() => project?.cleanup());

        it("to the same server under another endpoint: the folder is found there and nothing changes", async () => {
            expect((await project.up({ skipPreview: true })).code).toBe(0);
            const guid = (await a.status(ALICE, "Archive"))?.guid;
            expect(guid).toMatch(/^[0-9a-f]{32}$/);
            project.setProgram(program(sameAsA.endpoint, a.apiKey));
            const up = await project.up();
            expect(up.code).toBe(0);
            expect(up.output).not.toMatch(/does not show/);
            expect(await a.listMailboxes(ALICE)).toEqual(["Archive", "INBOX"]);
            expect(await a.status(ALICE, "Archive")).toMatchObject({ guid });
            expect(await guidIn()).toBe(guid);
            expect((await project.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);
        });

        it("to another server: up says so, makes the folder there and leaves the old one; refresh and destroy follow", async () => {
            await a.deliver(ALICE, "Archive", 1);
            const old = await a.status(ALICE, "Archive");
            project.setProgram(program(b.endpoint, b.apiKey));
            const preview = await project.preview();
            expect(preview.output).toMatch(
                new RegExp(
                    `was at ${sameAsA.endpoint}/doveadm/v1 and is now at ${b.endpoint}/doveadm/v1, which does not show the folder "Archive"`,
                ),
            );
            const up = await project.up();
            expect(up.code).toBe(0);
            expect(up.output).toMatch(/leaves the one at .* as it is/);
            const made = await b.status(ALICE, "Archive");
            expect(made?.guid).toMatch(/^[0-9a-f]{32}$/);
            expect(await guidIn()).toBe(made?.guid);
            // The old folder stays, with its mail.
            expect(await a.status(ALICE, "Archive")).toMatchObject({ guid: old?.guid, messages: 1 });
            expect((await project.pulumi(["refresh", "--yes", "--skip-preview"])).code).toBe(0);
            expect(await guidIn()).toBe(made?.guid);
            expect((await project.pulumi(["destroy", "--yes", "--skip-preview"])).code).toBe(0);
            expect(await b.listMailboxes(ALICE)).toEqual(["INBOX"]);
            expect(await a.status(ALICE, "Archive")).toMatchObject({ guid: old?.guid, messages: 1 });
        });
    });

    describe("checked settings", () => {
        let yaml: YamlProject;
        let dynamic: PulumiProject;
        const box = { type: "dovecot:index:Mailbox", properties: { user: ALICE, name: "Checked" } };

        beforeAll(async () => {
            yaml = await YamlProject.create({
                name: "checked-settings",
                server: a,
                program: { resources: { box } },
            });
            dynamic = await PulumiProject.create({
                server: a,
                name: "checked-settings-dynamic",
                resources: [{ kind: "Mailbox", name: "box", args: { user: ALICE, name: "Checked" } }],
            });
        });
        afterAll(() => {
            yaml?.cleanup();
            dynamic?.cleanup();
        });

        it("a malformed dovecot:servers stops the run though no resource names a server (both faces)", async () => {
            const before = await a.listMailboxes(ALICE);
            await yaml.setConfig("dovecot:servers", "[1, 2]");
            await dynamic.setConfig("dovecot:servers", "[1, 2]");
            for (const result of [
                await yaml.preview([], { allowFailure: true }),
                await dynamic.pulumi(["preview", "--non-interactive", "--stack", dynamic.stack], {
                    allowFailure: true,
                }),
            ]) {
                expect(result.code).not.toBe(0);
                expect(result.output).toMatch(/dovecot:servers must map server names to their settings/);
            }
            expect(await a.listMailboxes(ALICE)).toEqual(before);
            await yaml.pulumi(["config", "rm", "dovecot:servers"]);
            await dynamic.pulumi(["config", "rm", "dovecot:servers", "--stack", dynamic.stack]);
        });

        it("a server's credential set with --path but without --secret is named with the command that encrypts it (both faces)", async () => {
            for (const project of [yaml, dynamic]) {
                await project.setConfig("dovecot:servers.plain.endpoint", b.endpoint, { path: true });
                await project.setConfig("dovecot:servers.plain.apiKey", b.apiKey, { path: true });
                await project.setConfig("dovecot:servers.hidden.endpoint", b.endpoint, { path: true });
                await project.setConfig("dovecot:servers.hidden.apiKey", b.apiKey, {
                    path: true,
                    secret: true,
                });
            }
            for (const result of [
                await yaml.preview(),
                await dynamic.pulumi(["preview", "--non-interactive", "--stack", dynamic.stack]),
            ]) {
                expect(result.code).toBe(0);
                expect(result.output).toMatch(
                    /dovecot:servers\.plain\.apiKey is in the stack's configuration file \(Pulumi\.test\.yaml\) in plain text/,
                );
                expect(result.output).toContain(
                    "pulumi config set --secret --path 'dovecot:servers.plain.apiKey' <value>",
                );
                expect(result.output).not.toMatch(/dovecot:servers\.hidden\.apiKey is in/);
                expect(result.output).not.toContain(b.apiKey);
            }
            await yaml.pulumi(["config", "rm", "dovecot:servers"]);
            await dynamic.pulumi(["config", "rm", "dovecot:servers", "--stack", dynamic.stack]);
        });

        it("an explicit provider's endpoint with credentials in it is refused, and never printed or stored", async () => {
            const url = new URL(a.endpoint);
            url.username = "doveadm";
            url.password = "Sup3rS3cretInUrl";
            yaml.setProgram({
                resources: {
                    p: {
                        type: "pulumi:providers:dovecot",
                        properties: { endpoint: url.toString(), apiKey: a.apiKey },
                    },
                    box: { ...box, options: { provider: "${p}" } },
                },
            });
            const up = await yaml.up({ allowFailure: true });
            expect(up.code).not.toBe(0);
            expect(up.output).toMatch(
                /the property `endpoint` of the provider "p": must be an http:\/\/ or https:\/\/ URL without credentials in it/,
            );
            expect(up.output).not.toContain("Sup3rS3cretInUrl");
            expect((await yaml.pulumi(["stack", "export"])).stdout).not.toContain("Sup3rS3cretInUrl");
        });

        it("an explicit provider's empty endpoint is named as the provider's own property", async () => {
            yaml.setProgram({
                resources: {
                    p: { type: "pulumi:providers:dovecot", properties: { endpoint: "", apiKey: a.apiKey } },
                    box: { ...box, options: { provider: "${p}" } },
                },
            });
            const preview = await yaml.preview([], { allowFailure: true });
            expect(preview.code).not.toBe(0);
            expect(preview.output).toMatch(/the property `endpoint` of the provider "p" is empty/);
            expect(preview.output).not.toMatch(/set dovecot:endpoint/);
            yaml.setProgram({ resources: {} });
        });
    });
});
