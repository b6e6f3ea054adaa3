// What the person running `pulumi up` sees of the provider's work, through the real CLI, on both faces
// (the dynamic resources of a Node.js program and the `dovecot` plugin from a YAML program), with the
// fault proxy between the provider and a real Dovecot: a create the server refuses as temporary is
// retried, and the CLI shows the retry (command, user, mailbox, attempt, reason, wait); a Reload whose
// server does not answer at once shows that it waits and when the server answers again; a no-op
// `pulumi up`, with or without --refresh, shows nothing of the provider; and no output holds the API
// key or the password, in any form. The server's state is checked with the doveadm command line and
// the server's log.
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import { CommandResult, PulumiProject, ResourceSpec } from "../harness/pulumi";
import { YamlProject } from "../harness/yaml";

jest.setTimeout(240_000);

const ALICE = "alice@example.org";

/** One face: how to make its project and run `pulumi up` with a mailbox and, optionally, a Reload. */
interface Face {
    name: string;
    make(server: { endpoint: string; apiKey: string }): Promise<{
        /** `pulumi up` of these mailboxes and, with `reload`, a Reload of these triggers, with `flags`. */
        up(mailboxes: string[], reload?: string, flags?: string[]): Promise<CommandResult>;
        cleanup(): void;
    }>;
}

const faces: Face[] = [
    {
        name: "dynamic resources (Node.js program)",
        async make(server) {
            const project = await PulumiProject.create({ server, name: "progress" });
            return {
                up(mailboxes, reload, flags = []) {
                    const resources: ResourceSpec[] = mailboxes.map((name, i) => ({
                        kind: "Mailbox",
                        name: `m${i}`,
                        args: { user: ALICE, name },
                    }));
                    if (reload) resources.push({ kind: "Reload", name: "r", args: { triggers: [reload] } });
                    project.setResources(resources);
                    return project.up({ args: flags });
                },
                cleanup: () => project.cleanup(),
            };
        },
    },
    {
        name: "the dovecot plugin (YAML program)",
        async make(server) {
            const project = await YamlProject.create({ name: "progress-yaml", server });
            return {
                up(mailboxes, reload, flags = []) {
                    const resources: Record<string, unknown> = {};
                    mailboxes.forEach((name, i) => {
                        resources[`m${i}`] = {
                            type: "dovecot:index:Mailbox",
                            properties: { user: ALICE, name },
                        };
                    });
                    if (reload)
                        resources.r = { type: "dovecot:index:Reload", properties: { triggers: [reload] } };
                    project.setProgram({ resources });
                    return project.up({ skipPreview: true, args: flags });
                },
                cleanup: () => project.cleanup(),
            };
        },
    },
];

describe.each(faces)("what pulumi up shows of the provider's work: $name", (face) => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;
    let project: Awaited<ReturnType<Face["make"]>>;
    let secrets: string[];
    const prefix = face.name.startsWith("dynamic") ? "Dyn" : "Yaml";
    const reloads = () =>
        sandbox
            .log()
            .split("\n")
            .filter((line) => /SIGHUP received - reloading configuration/.test(line)).length;
    const expectClean = (result: CommandResult) => {
        for (const secret of secrets)
            if (result.output.includes(secret))
                throw new Error(`a credential (${secret.slice(0, 3)}...) appears in the output of pulumi up`);
    };

    beforeAll(async () => {
        sandbox = await startDovecot({ users: ["alice"] });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        secrets = [
            sandbox.apiKey,
            Buffer.from(sandbox.apiKey).toString("base64"),
            sandbox.password,
            Buffer.from(`doveadm:${sandbox.password}`).toString("base64"),
        ];
        project = await face.make({ endpoint: proxy.endpoint, apiKey: sandbox.apiKey });
    });
    afterAll(async () => {
        project?.cleanup();
        await proxy?.close();
        await sandbox?.stop();
    });

    it("a create the server refuses as temporary: the retry is shown, naming command, user, mailbox and why", async () => {
        const mailbox = `${prefix}/Retried`;
        proxy.setRules([{ command: "mailboxCreate", action: { kind: "exit", exitCode: 75 }, times: 1 }]);
        const result = await project.up([mailbox]);
        expectClean(result);
        expect(await sandbox.status(ALICE, mailbox)).toBeDefined();
        expect(proxy.requests.filter((r) => r.fault === "exit")).toHaveLength(1);
        expect(result.output).toMatch(
            new RegExp(
                `pulumi-dovecot: mailboxCreate for user "${ALICE}" on mailbox "${mailbox}" at ${proxy.endpoint} ` +
                    "failed \\(attempt 1 of \\d+\\): the server reported a temporary failure \\(exit 75\\); trying again in \\d+\\.\\d s",
            ),
        );
    });

    it("a Reload whose server does not answer at once: shown waiting, and when it answers again", async () => {
        const before = reloads();
        // Once the reload is sent, the next two probes of the server have their connection closed.
        proxy.setRules([
            {
                command: "reload",
                times: 1,
                action: {
                    kind: "before",
                    run: async () =>
                        proxy.setRules([{ command: "GET", action: { kind: "close-before" }, times: 2 }]),
                },
            },
        ]);
        const result = await project.up([`${prefix}/Retried`], "1");
        expectClean(result);
        expect(reloads()).toBe(before + 1);
        expect(proxy.requests.filter((r) => r.fault === "close-before")).toHaveLength(2);
        expect(result.output).toMatch(
            new RegExp(
                `Reload: waiting for Dovecot at ${proxy.endpoint} to answer again after the reload \\(at most \\d+\\.\\d s\\); ` +
                    `it does not answer yet: the connection to ${proxy.endpoint} closed without an answer`,
            ),
        );
        expect(result.output).toMatch(
            new RegExp(`Reload: Dovecot at ${proxy.endpoint} answers again, \\d+\\.\\d s after the reload`),
        );
    });

    it.each([
        { what: "a no-op pulumi up", refresh: false },
        { what: "a no-op pulumi up --refresh (which reads every resource from the server)", refresh: true },
    ])("$what shows nothing of the provider", async ({ refresh }) => {
        proxy.setRules([]);
        proxy.reset();
        const before = reloads();
        const result = await project.up([`${prefix}/Retried`], "1", refresh ? ["--refresh"] : []);
        expectClean(result);
        expect(reloads()).toBe(before);
        expect(result.output).toMatch(/3 unchanged/);
        // A plain no-op asks the server nothing; a refresh reads each resource.
        if (refresh) expect(proxy.requests.length).toBeGreaterThan(0);
        else expect(proxy.requests).toEqual([]);
        expect(result.output).not.toMatch(/pulumi-dovecot: |Reload: /);
        // Its diagnostics are the CLI's own (a plugin or language host taken from $PATH), nothing more.
        const diagnostics = result.output.split("Diagnostics:")[1]?.split("Resources:")[0] ?? "";
        const others = diagnostics
            .split("\n")
            .map((line) => line.trim())
            .filter((line) => line !== "" && !/^pulumi:pulumi:Stack \(/.test(line))
            .filter((line) => !/^warning: using pulumi-[\w-]+ from \$PATH at /.test(line));
        expect(others).toEqual([]);
    });

    it("with --debug and the verbosity passed on (-v=<n> --logflow), each request sent is shown, at debug", async () => {
        proxy.setRules([]);
        proxy.reset();
        const result = await project.up([`${prefix}/Retried`], "1", [
            "--refresh",
            "--debug",
            "-v=3",
            "--logflow",
        ]);
        expectClean(result);
        expect(result.output).toMatch(/3 unchanged/);
        expect(proxy.requests.length).toBeGreaterThan(0);
        expect(result.output).toMatch(
            new RegExp(`debug: pulumi-dovecot: sending .*user "${ALICE}"\\) to ${proxy.endpoint}`),
        );
    });
});
