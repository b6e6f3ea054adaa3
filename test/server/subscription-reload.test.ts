// The Subscription and Reload providers against a real Dovecot.
import { resetEndpointState } from "../../provider/client/client";
import { configure, providerOf } from "../harness/providers";
import { Sandbox, startDovecot } from "../harness/dovecot";

const ALICE = "alice@example.org";
const sub = providerOf("subscription");
const reload = providerOf("reload");

describe("Subscription and Reload providers against a real Dovecot", () => {
    let sandbox: Sandbox;

    beforeAll(async () => {
        sandbox = await startDovecot();
        resetEndpointState();
        process.env.DOVEADM_ENDPOINT = sandbox.endpoint;
        process.env.DOVEADM_API_KEY = sandbox.apiKey;
        await configure({});
    });
    afterAll(async () => {
        delete process.env.DOVEADM_ENDPOINT;
        delete process.env.DOVEADM_API_KEY;
        await sandbox.stop();
    });

    describe("Subscription", () => {
        it("validates its inputs on the exact property", async () => {
            const { failures } = await sub("check", {}, { user: ALICE, mailbox: "Shared//Team" });
            expect(failures).toEqual([{ property: "mailbox", reason: expect.stringMatching(/adjacent/) }]);
        });

        it("subscribes to a mailbox that does not exist, reads it back and unsubscribes", async () => {
            const { inputs } = await sub("check", {}, { user: ALICE, mailbox: "Shared/Team" });
            const { id, outs } = await sub("create", inputs);
            expect(await sandbox.listSubscriptions(ALICE)).toContain("Shared/Team");
            expect(await sandbox.status(ALICE, "Shared/Team")).toBeUndefined();

            // The outputs say where the subscription is; the inputs are the program's.
            expect(outs).toEqual({ ...inputs, endpoint: `${sandbox.endpoint}/doveadm/v1` });
            const read = await sub("read", id, outs);
            // Nothing changed: no inputs, so the engine keeps the recorded ones (refresh-kept.test.ts).
            expect(read).toEqual({ id, props: outs });

            await sub("delete", id, outs);
            expect(await sandbox.listSubscriptions(ALICE)).not.toContain("Shared/Team");
            // Already gone counts as deleted.
            await expect(sub("delete", id, outs)).resolves.toBeUndefined();
        });

        it("reports a subscription removed out of band as gone", async () => {
            const { id, outs } = await sub("create", { user: ALICE, mailbox: "Lists/Dev" });
            await sandbox.doveadm(["mailbox", "unsubscribe", "-u", ALICE, "Lists/Dev"]);
            expect((await sub("read", id, outs)).id).toBeUndefined();
        });

        it("replaces on any change and reports no change otherwise", async () => {
            const olds = { user: ALICE, mailbox: "A" };
            expect(await sub("diff", "x", olds, { ...olds })).toEqual({ changes: false, replaces: [] });
            expect(await sub("diff", "x", olds, { ...olds, mailbox: "B" })).toEqual({
                changes: true,
                replaces: ["mailbox"],
            });
            expect(await sub("diff", "x", olds, { ...olds, user: "bob@example.org" })).toEqual({
                changes: true,
                replaces: ["user"],
            });
        });
    });

    describe("Reload", () => {
        const reloads = () =>
            sandbox
                .log()
                .split("\n")
                .filter((line) => /SIGHUP received - reloading configuration/.test(line)).length;

        it("reloads on create and waits until the API answers again", async () => {
            const before = reloads();
            const { inputs } = await reload("check", {}, { triggers: ["hash-1"] });
            const { id, outs } = await reload("create", inputs);
            expect(id).toMatch(/^reload-/);
            expect(outs.triggers).toEqual(["hash-1"]);
            expect(reloads()).toBe(before + 1);
            expect(await sandbox.listMailboxes(ALICE)).toContain("INBOX");
        });

        it("reloads again only when the triggers change", async () => {
            const olds = { triggers: ["hash-1", { nested: 1 }], reloadedAt: "t" };
            expect((await reload("diff", "r", olds, { triggers: ["hash-1", { nested: 1 }] })).changes).toBe(
                false,
            );
            expect((await reload("diff", "r", olds, { triggers: ["hash-2", { nested: 1 }] })).changes).toBe(
                true,
            );
            const before = reloads();
            const { outs } = await reload("update", "r", olds, { triggers: ["hash-2"] });
            expect(outs.triggers).toEqual(["hash-2"]);
            expect(reloads()).toBe(before + 1);
        });

        it("does nothing on the server when deleted", async () => {
            const before = reloads();
            await reload("delete", "r", { triggers: [] });
            expect(reloads()).toBe(before);
        });

        it("rejects triggers that are not an array", async () => {
            const { failures } = await reload("check", {}, { triggers: "x" });
            expect(failures[0].property).toBe("triggers");
        });
    });
});
