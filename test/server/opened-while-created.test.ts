// A mail client opens a folder while Dovecot is still creating it. Dovecot's create is not atomic: it
// makes the folder's directory, then its cur/new/tmp, then writes the GUID it was asked for. A client
// that opens the folder in between (an IMAP client's STATUS, a `doveadm mailbox status`) makes the rest
// itself, with a GUID of its own, and the create is answered "exists" (exit 65) for a folder it made:
// seen live on 2.3 and 2.4 (1 create in 300 with two `doveadm mailbox status` loops beside), and once
// in CI, where a Mailbox was then refused as someone else's folder, by every later `up` too.
//
// A Mailbox makes its folder under a temporary name of its own (`pulumi-dovecot-<GUID>`), so that an
// "exists" for that name can only be about its own folder. These tests give the create exactly what
// such a client leaves, decided by an event rather than by timing: the proxy makes the temporary folder
// (empty, with the server's GUID) with `doveadm mailbox create` just before the create request goes on.
import { REQUIRED_DOVEADM_COMMANDS } from "../../provider/client/client";
import { creatorOf, ownedBy } from "../../provider/ownership";
import { Sandbox, dovecotVersion, startDovecot } from "../harness/dovecot";
import { FaultProxy, FaultRule, startFaultProxy } from "../harness/fault-proxy";
import { checkAndCreate, configure } from "../harness/providers";

jest.setTimeout(120_000);

const ALICE = "alice@example.org";

/** What the proxy saw the create request make, and the GUID it was made for. */
interface Opened {
    temporary?: string;
    guid?: string;
    serverGuid?: string;
}

/**
 * The next create request finds its temporary folder made already, as a client's open leaves it:
 * empty, with a GUID of the server's own.
 */
function openedWhileCreated(sandbox: Sandbox, opened: Opened): FaultRule {
    return {
        command: "mailboxCreate",
        times: 1,
        action: {
            kind: "before",
            run: async (request) => {
                const commands = JSON.parse(request.body) as Array<[string, Record<string, unknown>, string]>;
                const create = commands.find(([command]) => command === "mailboxCreate");
                const params = create?.[1] ?? {};
                opened.temporary = (params.mailbox as string[] | undefined)?.[0];
                opened.guid = params.guid as string | undefined;
                if (opened.temporary === undefined) throw new Error(`no create in ${request.body}`);
                await sandbox.doveadm(["mailbox", "create", "-u", ALICE, opened.temporary]);
                opened.serverGuid = (await sandbox.status(ALICE, opened.temporary))?.guid;
            },
        },
    };
}

describe.each([
    ["a server that allows `mailbox update`", false],
    ["a server with the least-privilege doveadm_allowed_commands (no `mailbox update`)", true],
])("a client opens the folder while the create makes it, on %s", (_title, leastPrivilege) => {
    let sandbox: Sandbox;
    let proxy: FaultProxy;

    beforeAll(async () => {
        sandbox = await startDovecot({
            users: ["alice"],
            extraConfig: leastPrivilege
                ? [`doveadm_allowed_commands = ${REQUIRED_DOVEADM_COMMANDS.join(",")}`]
                : [],
        });
        proxy = await startFaultProxy({ target: sandbox.endpoint });
        await configure({ "dovecot:endpoint": proxy.endpoint, "dovecot:apiKey": sandbox.apiKey });
    });
    afterAll(async () => {
        await proxy?.close();
        await sandbox?.stop();
    });

    it.each([["Mailbox"], ["FolderSet"]])(
        "a %s records the folder as its own, in place, with nothing left behind",
        async (kind) => {
            const name = `Opened/${kind}`;
            const creator = creatorOf(kind, "opened", "test", "folder");
            const opened: Opened = {};
            proxy.setRules([openedWhileCreated(sandbox, opened)]);
            const created =
                kind === "Mailbox"
                    ? await checkAndCreate("mailbox", { user: ALICE, name, creator })
                    : await checkAndCreate("folders", { user: ALICE, folders: [{ name }], creator });
            const updates = proxy.count("mailboxUpdate");
            proxy.reset();

            // The create met the folder the "client" opened: a name of its own, made for its GUID.
            expect(opened.temporary).toMatch(/(^|\/)pulumi-dovecot-[0-9a-f]{32}$/);
            expect(opened.guid).toMatch(/^[0-9a-f]{32}$/);
            expect(opened.serverGuid).toMatch(/^[0-9a-f]{32}$/);
            expect(opened.serverGuid).not.toBe(opened.guid);

            // The folder is in place and nothing is left under the temporary name.
            const folders = await sandbox.mailboxes(ALICE);
            expect(folders.filter((m) => m.name.includes("pulumi-dovecot-"))).toEqual([]);
            const now = await sandbox.status(ALICE, name);
            expect(now?.messages).toBe(0);
            // It has the GUID it was made for: Dovecot 2.3 writes the GUID of a create refused as
            // "exists" into the folder (here its own), and on 2.4 the client gives it with `mailbox
            // update` afterwards, where the server allows it; else it keeps the server's.
            const v23 = dovecotVersion() === "2.3";
            expect(updates).toBe(v23 ? 0 : 1);
            const tagged = v23 || !leastPrivilege;
            expect(now?.guid).toBe(tagged ? opened.guid : opened.serverGuid);
            expect(ownedBy(creator, ALICE, now?.guid ?? "")).toBe(tagged);
            // The resource records the GUID the server has.
            const recorded =
                kind === "Mailbox"
                    ? created.outs.guid
                    : (created.outs.mailboxes as Array<{ name: string; guid: string }>).find(
                          (m) => m.name === name,
                      )?.guid;
            expect(recorded).toBe(now?.guid);
            if (kind === "Mailbox") expect(created.id).toBe(now?.guid);
        },
    );

    it("the next create goes on as usual (a refused `mailbox update` stops nothing)", async () => {
        const name = "Opened/After";
        const creator = creatorOf("Mailbox", "opened", "test", "after");
        const created = await checkAndCreate("mailbox", { user: ALICE, name, creator });
        const now = await sandbox.status(ALICE, name);
        expect(created.outs.guid).toBe(now?.guid);
        expect(ownedBy(creator, ALICE, now?.guid ?? "")).toBe(true);
    });
});
