import {
    configureConnection,
    clientFor,
    knownServers,
    separatorOf,
    unknownServer,
} from "../../provider/connection";
import fc from "fast-check";
import { thrown, thrownMessage } from "../harness/failure";
import { SettingsError, resolveServer, serverEntries, serverNameSchema } from "../../provider/settings";

/** Names of Object.prototype that are valid server names: they must work like any other name. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).filter(
    (name) => serverNameSchema.safeParse(name).success,
);

const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

const servers = (value: unknown) => config({ "dovecot:servers": JSON.stringify(value) });

describe("named servers (dovecot:servers)", () => {
    afterEach(() => configureConnection(undefined));

    it("reads each server's settings from the structured config, numbers and booleans as text", () => {
        const entries = serverEntries(
            servers({
                backend1: { endpoint: "http://127.0.0.1:8080", apiKey: "k1", maxConcurrency: 8 },
                backend2: { endpoint: "https://10.0.0.12:8443", password: "p2", insecureSkipVerify: true },
            }),
            {},
        );
        expect([...entries.keys()]).toEqual(["backend1", "backend2"]);
        const one = resolveServer("backend1", entries.get("backend1")!);
        expect(one.endpoint).toBe("http://127.0.0.1:8080/doveadm/v1");
        expect(one.maxConcurrency).toBe(8);
        expect(one.apiKey).toBe("k1");
        const two = resolveServer("backend2", entries.get("backend2")!);
        expect(two.insecureSkipVerify).toBe(true);
        expect(two.password).toBe("p2");
        expect(two.timeoutMs).toBe(30_000);
    });

    it("falls back to DOVEADM_SERVERS when the configuration has none", () => {
        const entries = serverEntries(undefined, {
            DOVEADM_SERVERS: JSON.stringify({ b: { endpoint: "http://127.0.0.1:1", apiKey: "k" } }),
        });
        expect([...entries.keys()]).toEqual(["b"]);
    });

    it("refuses malformed JSON without echoing it (it may hold a key)", () => {
        const secret = '{"b":{"apiKey":"s3cr3t-XYZ"';
        const error = thrown(() => serverEntries(config({ "dovecot:servers": secret }), {}));
        expect(error).toBeInstanceOf(SettingsError);
        expect((error as Error).message).toContain("dovecot:servers is not a JSON object of servers");
        expect((error as Error).message).not.toContain("s3cr3t");
    });

    it("names the server and the setting of every problem, never the value", () => {
        expect(() => serverEntries(servers({ default: { endpoint: "http://127.0.0.1:1" } }), {})).toThrow(
            /dovecot:servers\.default: the name "default" stands for the top-level settings/,
        );
        expect(() => serverEntries(servers({ "a.b": { endpoint: "x" } }), {})).toThrow(
            /must be a server name/,
        );
        expect(() => serverEntries(servers({ b: { endpoint: "http://x", apikey: "k" } }), {})).toThrow(
            /dovecot:servers\.b: unknown setting "apikey"/,
        );
        expect(() => serverEntries(servers(["x"]), {})).toThrow(/must map server names to their settings/);
        expect(() => resolveServer("b", { apiKey: "k" })).toThrow(
            /server "b" is not configured: set dovecot:servers\.b\.endpoint/,
        );
        expect(() => resolveServer("b", { endpoint: "http://127.0.0.1:1" })).toThrow(
            /dovecot:servers\.b\.apiKey or dovecot:servers\.b\.password/,
        );
        const message = thrownMessage(() =>
            resolveServer("b", {
                endpoint: "http://user:hunter2@127.0.0.1:1",
                apiKey: "k",
                timeoutMs: "soon",
            }),
        );
        expect(message).toContain("dovecot:servers.b.endpoint");
        expect(message).toContain("dovecot:servers.b.timeoutMs");
        expect(message).not.toContain("hunter2");
    });

    it("knows the configured names, checks a resource's server against them, and keeps separators apart", () => {
        configureConnection(
            config({
                "dovecot:endpoint": "http://127.0.0.1:1",
                "dovecot:apiKey": "k",
                "dovecot:servers": JSON.stringify({
                    b2: { endpoint: "http://127.0.0.1:3", apiKey: "k3", separator: "." },
                    b1: { endpoint: "http://127.0.0.1:2", apiKey: "k2" },
                }),
            }),
        );
        expect(knownServers()).toEqual(["default", "b1", "b2"]);
        expect(unknownServer(undefined)).toBeUndefined();
        expect(unknownServer("default")).toBeUndefined();
        expect(unknownServer("b1")).toBeUndefined();
        expect(unknownServer("b3")).toMatch(
            /server "b3" is not configured; the configured servers are "default", "b1", "b2"\. .*dovecot:servers\.b3\.endpoint/,
        );
        expect(separatorOf("b2")).toBe(".");
        expect(separatorOf("b1")).toBe("/");
        expect(separatorOf(undefined)).toBe("/");
        expect(clientFor("b1").settings.endpoint).toBe("http://127.0.0.1:2/doveadm/v1");
        expect(clientFor().settings.endpoint).toBe("http://127.0.0.1:1/doveadm/v1");
        expect(clientFor("b1")).toBe(clientFor("b1"));
    });

    it("takes names of Object.prototype like any other name, and no setting by such a name", () => {
        expect(PROTOTYPE_NAMES).toEqual(expect.arrayContaining(["constructor", "toString", "valueOf"]));
        const validName = fc.oneof(
            fc.constantFrom(...PROTOTYPE_NAMES),
            fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/),
        );
        fc.assert(
            fc.property(
                fc.uniqueArray(validName, { minLength: 1, maxLength: 4 }),
                validName,
                (names, other) => {
                    fc.pre(names.every((n) => n !== "default") && other !== "default");
                    const entries = Object.fromEntries(
                        names.map((name, i) => [
                            name,
                            { endpoint: `http://127.0.0.1:${1000 + i}`, apiKey: `k${i}` },
                        ]),
                    );
                    configureConnection(servers(entries));
                    expect(knownServers()).toEqual([...names].sort());
                    for (const [i, name] of names.entries()) {
                        expect(unknownServer(name)).toBeUndefined();
                        expect(clientFor(name).settings.endpoint).toBe(
                            `http://127.0.0.1:${1000 + i}/doveadm/v1`,
                        );
                    }
                    // A name not configured is refused, prototype name or not.
                    if (!names.includes(other)) expect(unknownServer(other)).toMatch(/is not configured/);
                },
            ),
            { numRuns: 200 },
        );
        for (const setting of PROTOTYPE_NAMES) {
            expect(() =>
                serverEntries(
                    servers({ b: { endpoint: "http://127.0.0.1:1", apiKey: "k", [setting]: "x" } }),
                    {},
                ),
            ).toThrow(/unknown setting/);
        }
    });

    it("tells a resource without a server, when only named servers exist, to name one", () => {
        configureConnection(servers({ b1: { endpoint: "http://127.0.0.1:2", apiKey: "k2" } }));
        expect(knownServers()).toEqual(["b1"]);
        expect(() => clientFor()).toThrow(
            /dovecot:endpoint.*Or set `server` on the resource to one of the configured servers: "b1"/s,
        );
    });
});
