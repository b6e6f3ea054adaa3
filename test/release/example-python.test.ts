// examples/python as a user runs it, through the real CLI and the dovecot provider plugin, against two
// sandbox servers (the default one and a second one through an explicit provider): see
// example-languages.ts for the scenario. Then what a Python program is told when it calls something
// wrongly, on a stack of its own in the same project: a failed lookup names the argument at fault (not
// an empty "()"), and inputs passed where the SDK does not take them are refused with what to pass,
// naming the resource, not with the SDK's "Expected opts2 to be a ResourceOptions instance".
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describeLanguageExample } from "./example-languages";

jest.setTimeout(300_000);

const PROGRAM = `import pulumi
import pulumi_dovecot as dovecot

mode = pulumi.Config().require("mode")
if mode == "lookup":
    dovecot.list_mailboxes(user="nobody@example.org")
elif mode == "positional":
    dovecot.Mailbox("misplaced", {"user": "alice@example.org", "name": "Misplaced"})
elif mode == "typed":
    dovecot.Mailbox("typed", user="alice@example.org", name="Typed", subscribed="yes")
`;

describeLanguageExample("python", ({ project, server }) => {
    it("a Python program's mistakes are told plainly: a lookup names the argument, a misplaced input the resource", async () => {
        const main = path.join(project().dir, "__main__.py");
        const example = readFileSync(main, "utf8");
        const stack = ["--stack", "messages", "--non-interactive"];
        try {
            writeFileSync(main, PROGRAM);
            await project().pulumi(["stack", "init", ...stack]);
            await project().pulumi(["config", "set", "dovecot:endpoint", server().endpoint, ...stack]);
            await project().pulumi(["config", "set", "--secret", "dovecot:apiKey", ...stack], {
                input: server().apiKey,
            });
            const run = async (mode: string) => {
                await project().pulumi(["config", "set", "mode", mode, ...stack]);
                const result = await project().pulumi(["preview", ...stack], { allowFailure: true });
                expect(result.code).not.toBe(0);
                return result.output;
            };
            const lookup = await run("lookup");
            expect(lookup).toMatch(
                /invoke of dovecot:index:listMailboxes failed: [a-zA-Z]+ for user "nobody@example.org"[^\n]* failed: the user does not exist[^\n]*\(user\)/,
            );
            expect(lookup).not.toMatch(/Exception: invoke of[^\n]*\(\)/);
            const positional = await run("positional");
            expect(positional).toMatch(
                /TypeError: Mailbox: its inputs are keyword arguments[^\n]*a dict was given where they go/,
            );
            expect(positional).not.toMatch(/Expected opts2/);
            const typed = await run("typed");
            expect(typed).toMatch(
                /property subscribed value \{yes\} has a problem: subscribed must be true or false/,
            );
            expect(await server().listMailboxes("alice@example.org")).not.toContain("Misplaced");
        } finally {
            writeFileSync(main, example);
            await project().pulumi(["stack", "rm", "--yes", "--force", ...stack], { allowFailure: true });
        }
    });
});
