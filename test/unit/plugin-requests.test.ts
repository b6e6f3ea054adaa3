// What the plugin commands put on the wire, byte for byte, captured by a local HTTP server that
// answers like doveadm: the parameter names are the ones GET /doveadm/v1 lists on 2.3 and 2.4, and an
// argument the server cannot parse (it would kill its doveadm process) is refused before sending.
import * as http from "node:http";
import { DoveadmClient } from "../../provider/client/client";
import { DoveadmUsageError } from "../../provider/client/errors";
import { resolveSettings } from "../../provider/settings";

const ALICE = "alice@example.org";

describe("plugin requests", () => {
    let server: http.Server;
    let client: DoveadmClient;
    const sent: unknown[] = [];
    let rows: object[] = [];

    beforeAll(async () => {
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
            req.on("end", () => {
                const [[command, params, tag]] = JSON.parse(body) as [[string, unknown, string]];
                sent.push([command, params]);
                res.end(JSON.stringify([["doveadmResponse", rows, tag]]));
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as { port: number };
        client = new DoveadmClient(
            resolveSettings(undefined, {
                DOVEADM_ENDPOINT: `http://127.0.0.1:${port}`,
                DOVEADM_API_KEY: "k",
            }),
            { onRequest: () => undefined },
        );
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
        sent.length = 0;
        rows = [];
    });

    it("sends each Sieve command with the server's parameter names", async () => {
        await client.sievePut(ALICE, "filters", "keep;\n", { activate: true });
        await client.sievePut(ALICE, "filters", "keep;\n", { activate: false });
        await client.sieveActivate(ALICE, "filters");
        await client.sieveDeactivate(ALICE);
        await client.sieveRename(ALICE, "filters", "rules");
        await client.sieveDelete(ALICE, "rules", { ignoreActive: true });
        expect(sent).toEqual([
            ["sievePut", { user: ALICE, scriptname: "filters", file: "keep;\n", activate: true }],
            // Never a `false`: Dovecot 2.3 reads any value of a boolean as true.
            ["sievePut", { user: ALICE, scriptname: "filters", file: "keep;\n" }],
            ["sieveActivate", { user: ALICE, scriptname: "filters" }],
            ["sieveDeactivate", { user: ALICE }],
            ["sieveRename", { user: ALICE, oldname: "filters", newname: "rules" }],
            ["sieveDelete", { user: ALICE, scriptname: ["rules"], ignoreActive: true }],
        ]);
    });

    it("reads sieveList and sieveGet answers", async () => {
        rows = [
            { script: "a", active: "" },
            { script: "b", active: "ACTIVE" },
        ];
        expect(await client.sieveList(ALICE)).toEqual([
            { name: "a", active: false },
            { name: "b", active: true },
        ]);
        rows = [{ "sieve script": "keep;\n" }];
        expect(await client.sieveGet(ALICE, "b")).toBe("keep;\n");
    });

    it("sends ACL commands with sorted rights, and reads aclGet", async () => {
        await client.aclSet(ALICE, "Team", "user=bob@example.org", ["read", "lookup", "read"]);
        await client.aclDelete(ALICE, "Team", "user=bob@example.org");
        rows = [{ id: "user=bob@example.org", global: "", rights: "lookup read" }];
        expect(await client.aclGet(ALICE, "Team")).toEqual([
            { id: "user=bob@example.org", rights: ["lookup", "read"], global: false },
        ]);
        expect(sent).toEqual([
            [
                "aclSet",
                { user: ALICE, mailbox: "Team", id: "user=bob@example.org", right: ["lookup", "read"] },
            ],
            ["aclDelete", { user: ALICE, mailbox: "Team", id: "user=bob@example.org" }],
            ["aclGet", { user: ALICE, mailbox: "Team" }],
        ]);
    });

    it("sends METADATA commands, the user level with allowEmptyMailboxName", async () => {
        await client.metadataSet(ALICE, "Team", "/shared/comment", "x");
        await client.metadataSet(ALICE, "", "/private/comment", "y");
        await client.metadataUnset(ALICE, "", "/private/comment");
        rows = [{ value: "x" }];
        expect(await client.metadataGet(ALICE, "Team", "/shared/comment")).toBe("x");
        expect(sent).toEqual([
            ["mailboxMetadataSet", { user: ALICE, mailbox: "Team", key: "/shared/comment", value: "x" }],
            [
                "mailboxMetadataSet",
                {
                    user: ALICE,
                    mailbox: "",
                    key: "/private/comment",
                    value: "y",
                    allowEmptyMailboxName: true,
                },
            ],
            [
                "mailboxMetadataUnset",
                { user: ALICE, mailbox: "", key: "/private/comment", allowEmptyMailboxName: true },
            ],
            ["mailboxMetadataGet", { user: ALICE, mailbox: "Team", key: "/shared/comment" }],
        ]);
    });

    it("reads quotaGet, a limit of '-' as none", async () => {
        rows = [
            { root: "User quota", type: "STORAGE", value: "1", limit: "10240", percent: "0" },
            { root: "User quota", type: "MESSAGE", value: "3", limit: "-", percent: "0" },
        ];
        expect(await client.quotaGet(ALICE)).toEqual([
            { root: "User quota", type: "STORAGE", value: 1, limit: 10240, percent: 0 },
            { root: "User quota", type: "MESSAGE", value: 3, limit: undefined, percent: 0 },
        ]);
    });

    it("refuses, before sending, what would kill the server's doveadm process", async () => {
        const refused = [
            client.aclSet(ALICE, "Team", "user=bob@example.org", ["fly"]),
            client.aclSet(ALICE, "Team", "user=bob@example.org", []),
            client.aclSet(ALICE, "Team", "bogus", ["read"]),
            client.aclDelete(ALICE, "Team", "user=*"),
            client.sievePut(ALICE, "a/b", "keep;", { activate: false }),
            client.sievePut(ALICE, "", "keep;", { activate: false }),
            client.metadataSet(ALICE, "Team", "comment", "x"),
            client.metadataSet(ALICE, "", "/shared/comment", "x"),
            client.metadataSet(ALICE, "Team", "/private/a//b", "x"),
        ];
        for (const attempt of refused) await expect(attempt).rejects.toBeInstanceOf(DoveadmUsageError);
        await expect(client.aclSet(ALICE, "Team", "user=bob@example.org", ["fly"])).rejects.toThrow(
            /aclSet for user "alice@example.org" on mailbox "Team" \(ACL identifier "user=bob@example.org"\) failed: the right list has unknown right\(s\) "fly"/,
        );
        expect(sent).toEqual([]);
    });
});
