// The server stops in the middle of `pulumi up` of 100 mailboxes (through the real CLI): the up fails
// with clear errors; once the server is back, the next `up` converges: every declared mailbox exists
// exactly once, the state holds exactly one resource per mailbox whose id is the server's GUID, and a
// preview shows nothing left to do.
import { Sandbox, freePort, releasePort, startDovecot } from "../harness/dovecot";
import { FaultProxy, deferred, startFaultProxy } from "../harness/fault-proxy";
import { PulumiProject, ResourceSpec, StateResource, changedSteps } from "../harness/pulumi";

jest.setTimeout(300_000);

const USERS = ["alice@example.org", "bob@example.org"];
/** Create requests the server answers before it stops. */
const BEFORE_STOP = 10;

describe("the server stops in the middle of pulumi up", () => {
    let sandbox: Sandbox;
    // The program talks to the server through a proxy, which stands for the server's listener: it
    // sees each request arrive, so the stop can come at a request of its choosing, and it closes and
    // opens again with the server, so that the program sees a stopped server's refused connections.
    let proxy: FaultProxy;
    let project: PulumiProject;
    const specs: ResourceSpec[] = [];
    for (let i = 0; i < 100; i++) {
        const user = USERS[i % 2]!;
        specs.push({
            kind: "Mailbox",
            name: `m${String(i).padStart(3, "0")}`,
            args: { user, name: `Stop/F${String(i).padStart(3, "0")}`, subscribed: i % 3 !== 0 },
        });
    }
    const declared = (user: string) =>
        specs
            .filter((s) => s.args.user === user)
            .map((s) => String(s.args.name))
            .sort();
    const managed = async (user: string) =>
        (await sandbox.listMailboxes(user)).filter((name) => name.startsWith("Stop/"));

    beforeAll(async () => {
        sandbox = await startDovecot();
        // A port that stays free while the proxy is closed (see freePort).
        proxy = await startFaultProxy({ target: sandbox.endpoint, port: await freePort() });
        // The default per-request timeout (30 s): requests cut off by the stop fail at once anyway (a
        // closed connection, a refused one), and a short one would fail slow requests of a loaded
        // machine before the stop, which is not what this test is about.
        project = await PulumiProject.create({
            server: { endpoint: proxy.endpoint, apiKey: sandbox.apiKey },
            name: "server-stop",
            resources: specs,
        });
    });
    afterAll(async () => {
        project?.cleanup();
        await proxy?.close();
        if (proxy) releasePort(proxy.port);
        await sandbox?.stop();
    });

    it("fails clearly, then converges on the next up with no duplicate, no loss and nothing orphaned", async () => {
        // The stop comes when create request number BEFORE_STOP + 1 arrives, whatever the time: an
        // event, not a clock. That request waits until the server has stopped, then goes on and is cut
        // off, as are the requests after it.
        const atStop = deferred<"stop">();
        const afterStop = deferred<void>();
        proxy.setRules([
            {
                command: "mailboxCreate",
                skip: BEFORE_STOP,
                times: 1,
                action: {
                    kind: "before",
                    run: async () => {
                        atStop.resolve("stop");
                        await afterStop.promise;
                    },
                },
            },
        ]);
        // Two engine workers at a time, as a small pipeline would run it.
        const up = project.up({ args: ["--parallel", "2"], allowFailure: true, timeoutMs: 180_000 });
        const first = await Promise.race([atStop.promise, up.then(() => "ended" as const)]);
        if (first === "ended")
            throw new Error(
                `pulumi up ended before create request ${BEFORE_STOP + 1}:\n${(await up).output}`,
            );
        await sandbox.stopServer();
        const { port } = proxy;
        await proxy.close();
        afterStop.resolve();
        const failed = await up;
        proxy = await startFaultProxy({ target: sandbox.endpoint, port });
        await sandbox.startServer();
        const seen = (await managed(USERS[0]!)).length + (await managed(USERS[1]!)).length;

        expect(seen).toBeGreaterThan(0); // the stop came in the middle
        expect(seen).toBeLessThan(100);
        expect(failed.timedOut).toBe(false);
        expect(failed.code).not.toBe(0);
        // Clear errors: each names the command, the endpoint and what to do; no stack trace.
        expect(failed.output).toMatch(/could not connect to http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
        expect(failed.output).toContain("Check that Dovecot is running");
        expect(failed.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        // Nothing was created twice even by the failed run.
        for (const user of USERS) {
            const names = await managed(user);
            expect(new Set(names).size).toBe(names.length);
        }

        const again = await project.up({ timeoutMs: 180_000 });
        expect(again.code).toBe(0);

        for (const user of USERS) expect(await managed(user)).toEqual(declared(user));
        const resources: StateResource[] = await project.stateResources();
        expect(resources.map((r) => r.urn.split("::").pop()).sort()).toEqual(specs.map((s) => s.name).sort());
        for (const spec of specs) {
            const resource = resources.find((r) => r.urn.endsWith(`::${spec.name}`));
            const user = String(spec.args.user);
            const name = String(spec.args.name);
            const status = await sandbox.status(user, name);
            expect(status).toBeDefined();
            // The id is the GUID, or for a create cut off by the stop the provisional id it was
            // recorded under; the guid output is always the one the server has.
            if (!String(resource?.id).startsWith("pending-")) expect(resource?.id).toBe(status?.guid);
            expect(resource?.outputs?.guid).toBe(status?.guid);
            expect(resource?.outputs?.name).toBe(name);
        }
        // Subscriptions as declared.
        for (const user of USERS) {
            const subscribed = (await sandbox.listSubscriptions(user)).filter((n) => n.startsWith("Stop/"));
            const wanted = specs
                .filter((s) => s.args.user === user && s.args.subscribed)
                .map((s) => String(s.args.name))
                .sort();
            expect(subscribed).toEqual(wanted);
        }
        // Nothing left to do, and the state agrees with the server on refresh.
        expect(changedSteps(await project.preview())).toEqual([]);
        expect(changedSteps(await project.preview({ refresh: true }))).toEqual([]);
    });
});
