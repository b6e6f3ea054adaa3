// Two writers declaring the same folder of the same user at the same time: one makes it, the other is
// refused and says that another owner exists. The GUID each records is one it read back from the
// server, and the loser's refused create never rewrites the winner's GUID (Dovecot 2.3 would, if the
// create carried one: no create of a name carries one, the folder is made under a temporary name of
// its own and renamed into place), so the winner keeps managing its folder. Here the other writer acts
// at a request the fault proxy holds, and the handlers run in-process (two stacks' whole `pulumi up`
// at the same time: test/cli/two-writers.test.ts).
import { creatorOf, ownedBy } from "../../provider/ownership";
import { randomBytes } from "node:crypto";
import { FaultRule } from "../harness/fault-proxy";
import { checkAndCreate, configure, configureFor, rejection } from "../harness/providers";
import { dovecotForSuite, proxyForSuite } from "../harness/suite";

jest.setTimeout(120_000);

const ALICE = "alice@example.org";

describe("another writer makes the folder between the look and the create", () => {
    const sandbox = dovecotForSuite({ users: ["alice"] });
    const proxy = proxyForSuite(sandbox);

    beforeAll(() => configureFor({ endpoint: proxy.endpoint, apiKey: sandbox.apiKey }));

    /** Makes the next create meet `name` made (with a message) by another writer just before it. */
    const anotherWriterBeforeCreate = (name: string) => {
        const other: { guid?: string; rules: FaultRule[] } = { rules: [] };
        other.rules = [
            {
                command: "mailboxCreate",
                times: 1,
                action: {
                    kind: "before",
                    run: async () => {
                        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, name]);
                        await sandbox.deliver(ALICE, name, 1);
                        other.guid = (await sandbox.status(ALICE, name))?.guid;
                    },
                },
            },
        ];
        proxy.setRules(other.rules);
        return other;
    };
    const rulesOf = (other: { rules: FaultRule[] }) => other.rules;

    it.each([["Mailbox"], ["FolderSet"]])(
        "a %s is refused, names the other owner, and leaves the other's GUID alone",
        async (kind) => {
            const name = `Race/${kind}`;
            const other = anotherWriterBeforeCreate(name);
            const error = await rejection(
                kind === "Mailbox"
                    ? checkAndCreate("mailbox", { user: ALICE, name })
                    : checkAndCreate("folders", { user: ALICE, folders: [{ name }] }),
            );
            expect(other.guid).toMatch(/^[0-9a-f]{32}$/);
            expect(error?.message).toMatch(/another stack|someone else/);
            expect(error.message).toMatch(/adopt: true/);
            // The create was sent (and refused), and did not touch the other writer's mailbox.
            expect(proxy.count("mailboxCreate")).toBeGreaterThanOrEqual(1);
            expect(await sandbox.status(ALICE, name)).toEqual({ guid: other.guid, messages: 1 });
            // The subscription the create's request set (declared subscribed, the default) is put back:
            // the other writer's folder is left unsubscribed, as it was.
            expect(proxy.count("mailboxUnsubscribe")).toBe(1);
            expect(await sandbox.listSubscriptions(ALICE)).not.toContain(name);
            // A FolderSet records nothing it did not make.
            if (kind === "FolderSet") expect(error.properties?.mailboxes ?? []).toEqual([]);
            proxy.reset();
        },
    );

    it("a Mailbox whose create carries a GUID is refused with the adopt advice, and the other writer's mailbox keeps its own GUID", async () => {
        const name = "Race/Tagged";
        const creator = creatorOf("Mailbox", "race", "test", "tagged");
        const other = anotherWriterBeforeCreate(name);
        const error = await rejection(checkAndCreate("mailbox", { user: ALICE, name, creator }));
        expect(other.guid).toMatch(/^[0-9a-f]{32}$/);
        expect(error?.message).toMatch(/adopt: true/);
        expect(error.message).toContain(`"${name}"`);
        const now = await sandbox.status(ALICE, name);
        expect(now?.messages).toBe(1);
        // The refused create touched nothing of the other writer's mailbox (on 2.3 it carried no
        // GUID), so it is not taken for this resource's: a second create is refused as well.
        if (ownedBy(creator, ALICE, now?.guid ?? "")) throw new Error(`tagged: ${error.message}`);
        expect(error.message).toMatch(/this stack did not create it/);
        expect(now?.guid).toBe(other.guid);
        // No GUID was ever put back (nothing was rewritten), on either version.
        expect(proxy.count("mailboxUpdate")).toBe(0);
        const again = await rejection(checkAndCreate("mailbox", { user: ALICE, name, creator }));
        expect(again?.message).toMatch(/this stack did not create it/);
        expect((await sandbox.status(ALICE, name))?.messages).toBe(1);
    });

    it("a create whose request meets another writer's tagged folder between its commands leaves that folder's GUID alone", async () => {
        // The other writer is a stack that made the folder with a GUID of its own choosing (as every
        // Mailbox does), between two commands of this create's request: the case no look can rule out.
        const name = "Race/Between";
        const creator = creatorOf("Mailbox", "race", "test", "between");
        const theirs = randomBytes(16).toString("hex");
        let ran = false;
        proxy.setRules([
            {
                command: "mailboxCreate",
                times: 1,
                action: {
                    kind: "split",
                    between: async (command) => {
                        if (command !== "mailboxCreate" || ran) return;
                        ran = true;
                        await sandbox.doveadm(["mailbox", "create", "-u", ALICE, "-g", theirs, name]);
                        await sandbox.deliver(ALICE, name, 1);
                    },
                },
            },
        ]);
        const error = await rejection(checkAndCreate("mailbox", { user: ALICE, name, creator }));
        expect(ran).toBe(true);
        expect(error?.message).toMatch(/this stack did not create it[\s\S]*adopt: true/);
        // The winner's GUID is the one it recorded, and its message is there.
        expect(await sandbox.status(ALICE, name)).toEqual({ guid: theirs, messages: 1 });
        proxy.reset();
    });

    it("behind an endpoint that says it is 2.4 (a 2.4 proxy in front of a 2.3 backend), a refused create leaves the other writer's GUID alone as well", async () => {
        // The endpoint's command list says 2.4 whatever the server is.
        const auth = { authorization: `X-Dovecot-API ${Buffer.from(sandbox.apiKey).toString("base64")}` };
        const listing = (await (
            await fetch(`${sandbox.endpoint}/doveadm/v1`, { headers: auth })
        ).json()) as Array<{
            command: string;
            parameters: Array<{ name: string; type: string }>;
        }>;
        for (const command of listing)
            if (command.command === "mailboxCreate")
                command.parameters.push({ name: "noUserdbLookup", type: "boolean" });
        const says24 = {
            command: "GET",
            action: { kind: "reply" as const, body: () => JSON.stringify(listing) },
        };
        await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
        const creator = creatorOf("Mailbox", "race", "test", "proxied");
        for (const name of ["Race/Proxied", "Race/Proxied2"]) {
            const other = anotherWriterBeforeCreate(name);
            proxy.setRules([says24, ...rulesOf(other)]);
            const error = await rejection(checkAndCreate("mailbox", { user: ALICE, name, creator }));
            expect(error?.message).toMatch(/adopt: true/);
            // Whatever version the endpoint says it is, no create of the name itself carries a GUID (it
            // goes under a temporary name first): a 2.3 backend has nothing to rewrite, nothing to put back.
            expect(await sandbox.status(ALICE, name)).toEqual({ guid: other.guid, messages: 1 });
            expect(proxy.count("mailboxUpdate")).toBe(0);
            expect(error.message).toMatch(/this stack did not create it/);
            proxy.reset();
        }
        await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
});
