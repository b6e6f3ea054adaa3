// Values read back from Pulumi's state are checked before anything is sent: doveadm treats `user` as
// a pattern, so a state whose user is `*` (a hand edit, a bad `stack import`, a bug) would otherwise
// make `pulumi destroy` delete that folder, with its mail, for every user on the server.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { DoveadmClient } from "../../provider/client/client";
import { resolveSettings } from "../../provider/settings";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { call, configureFor, rejection } from "../harness/providers";
import { PulumiProject } from "../harness/pulumi";
import { dovecotForSuite, proxyForSuite } from "../harness/suite";

jest.setTimeout(240_000);

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const GUID = "0123456789abcdef0123456789abcdef";

const mailboxProps = {
    user: ALICE,
    name: "Shared",
    subscribed: true,
    forceDestroy: true,
    adopt: false,
    guid: GUID,
    messages: 0,
};
const folderSetProps = {
    user: ALICE,
    folders: [{ name: "Shared", subscribed: true }],
    forceDestroy: true,
    adopt: false,
    mailboxes: [{ name: "Shared", declaredName: "Shared", guid: GUID, subscribed: true, messages: 0 }],
};
const subscriptionProps = { user: ALICE, mailbox: "Shared" };
const sieveProps = { user: ALICE, name: "filters", script: "keep;\n", active: true, adopt: false };
const aclProps = { user: ALICE, mailbox: "Shared", identifier: "anyone", rights: ["lookup"], adopt: false };
const metadataProps = { user: ALICE, mailbox: "Shared", key: "/private/comment", value: "x", adopt: false };
type Kind = "mailbox" | "folders" | "subscription" | "sieve" | "acl" | "metadata";
const validProps: Record<Kind, Record<string, unknown>> = {
    mailbox: mailboxProps,
    folders: folderSetProps,
    subscription: subscriptionProps,
    sieve: sieveProps,
    acl: aclProps,
    metadata: metadataProps,
};

describe("state read back from Pulumi is validated in every provider method", () => {
    const sandbox = dovecotForSuite();
    const proxy = proxyForSuite(sandbox);

    beforeAll(async () => {
        await configureFor({ endpoint: proxy.endpoint, apiKey: sandbox.apiKey });
        for (const user of [ALICE, BOB]) {
            await sandbox.doveadm(["mailbox", "create", "-u", user, "Shared"]);
            await sandbox.deliver(user, "Shared", 2);
        }
    });

    const cases: Array<[string, Kind, Record<string, unknown>]> = [
        ["a Mailbox whose user is a pattern", "mailbox", { ...mailboxProps, user: "*" }],
        ["a Mailbox whose user is a ?-pattern", "mailbox", { ...mailboxProps, user: "?lice@example.org" }],
        ["a Mailbox whose name holds a wildcard", "mailbox", { ...mailboxProps, name: "Sha*" }],
        ["a Mailbox whose GUID is not one", "mailbox", { ...mailboxProps, guid: "*" }],
        ["a Mailbox whose user is missing", "mailbox", { ...mailboxProps, user: undefined }],
        ["a FolderSet whose user is a pattern", "folders", { ...folderSetProps, user: "*" }],
        [
            "a FolderSet with a bad folder name",
            "folders",
            { ...folderSetProps, mailboxes: [{ ...folderSetProps.mailboxes[0], name: "a//b" }] },
        ],
        ["a Subscription whose user is a pattern", "subscription", { ...subscriptionProps, user: "*" }],
        ["a SieveScript whose user is a pattern", "sieve", { ...sieveProps, user: "*" }],
        ["a SieveScript whose name holds a '/'", "sieve", { ...sieveProps, name: "../x" }],
        ["a MailboxAcl whose user is a pattern", "acl", { ...aclProps, user: "*" }],
        ["a MailboxAcl whose identifier is a pattern", "acl", { ...aclProps, identifier: "user=*" }],
        ["a MailboxAcl with an unknown right", "acl", { ...aclProps, rights: ["fly"] }],
        ["a MailboxMetadata whose user is a pattern", "metadata", { ...metadataProps, user: "*" }],
        ["a MailboxMetadata whose key is not one", "metadata", { ...metadataProps, key: "comment" }],
    ];

    it.each(cases)(
        "refuses %s in read, update, delete and diff, sending nothing",
        async (_what, kind, props) => {
            proxy.reset();
            const id = kind === "mailbox" ? GUID : "some-id";
            const news = validProps[kind];
            for (const attempt of [
                call(kind, "read", id, props),
                call(kind, "update", id, props, news),
                call(kind, "delete", id, props),
                call(kind, "diff", id, props, news),
            ]) {
                const error = await rejection(attempt);
                expect(error?.code).toBe("DOVEADM_INVALID_STATE");
                expect(error.message).toMatch(/state recorded for this .* is invalid/);
                expect(error.message).toMatch(/pulumi stack export|pulumi state delete/);
            }
            expect(proxy.requests).toEqual([]);
            for (const user of [ALICE, BOB]) expect((await sandbox.status(user, "Shared"))?.messages).toBe(2);
        },
    );

    it("the client itself refuses a user that is a pattern, whoever calls it", async () => {
        proxy.reset();
        const client = new DoveadmClient(
            resolveSettings(undefined, { DOVEADM_ENDPOINT: proxy.endpoint, DOVEADM_API_KEY: sandbox.apiKey }),
        );
        for (const attempt of [
            client.mailboxDelete("*", ["Shared"], { requireEmpty: false }),
            client.deleteMailbox("a*", "Shared", { requireEmpty: false }),
            client.snapshot("*"),
            client.setSubscribed("?", "Shared", false),
        ]) {
            expect((await rejection(attempt))?.code).toBe("DOVEADM_INVALID_USER");
        }
        expect(proxy.requests).toEqual([]);
        for (const user of [ALICE, BOB]) expect((await sandbox.status(user, "Shared"))?.messages).toBe(2);
    });

    it("refuses a Mailbox id that is not a GUID", async () => {
        const error = await rejection(call("mailbox", "delete", "*", mailboxProps));
        expect(error?.code).toBe("DOVEADM_INVALID_STATE");
        expect(error.message).toMatch(/id \("\*"\) must be a mailbox GUID/);
    });
});

describe("pulumi destroy of a state whose user was edited into a pattern", () => {
    let sandbox: Sandbox;
    let project: PulumiProject;

    beforeAll(async () => {
        sandbox = await startDovecot();
        await sandbox.doveadm(["mailbox", "create", "-u", BOB, "Projects"]);
        await sandbox.deliver(BOB, "Projects", 3);
        project = await PulumiProject.create({
            server: sandbox,
            name: "state-validation",
            resources: [
                {
                    kind: "Mailbox",
                    name: "projects",
                    args: { user: ALICE, name: "Projects", forceDestroy: true },
                },
            ],
        });
        await project.up();
    });
    afterAll(async () => {
        project?.cleanup();
        await sandbox?.stop();
    });

    it("fails with a clear error and deletes nobody's folder", async () => {
        const file = path.join(project.root, "state.json");
        await project.pulumi(["stack", "export", "--file", file, "--stack", project.stack]);
        const state = JSON.parse(readFileSync(file, "utf8"));
        for (const resource of state.deployment.resources) {
            if (!String(resource.type).includes("dovecot:Mailbox")) continue;
            resource.inputs.user = "*";
            resource.outputs.user = "*";
        }
        writeFileSync(file, JSON.stringify(state));
        await project.pulumi(["stack", "import", "--file", file, "--stack", project.stack]);

        const destroy = await project.destroy({ allowFailure: true });
        expect(destroy.code).not.toBe(0);
        expect(destroy.output).toMatch(
            /state recorded for this Mailbox .* is invalid: user \("\*"\) must not contain the wildcards/,
        );
        expect(await sandbox.status(BOB, "Projects")).toMatchObject({ messages: 3 });
        expect(await sandbox.status(ALICE, "Projects")).toBeDefined();

        const refresh = await project.refresh({ allowFailure: true });
        expect(refresh.code).not.toBe(0);
        expect(refresh.output).toMatch(/is invalid: user/);
        expect(await sandbox.status(BOB, "Projects")).toMatchObject({ messages: 3 });
    });
});
