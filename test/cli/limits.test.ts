// How the CLI prints a value refused for its size: the engine prints a failure's property value beside
// it, whole, so a refused megabyte script filled the screen twice; the provider reports such a value
// by its size and a short prefix instead. Through the real CLI on Dovecot 2.3 and 2.4 (every limit and
// what the server answers beyond it: test/server/limits.test.ts and limits-harness.test.ts).
import { dovecotForSuite, projectForSuite } from "../harness/suite";
import { ALICE } from "../harness/accounts";

jest.setTimeout(300_000);

describe("a value refused for its size, as the CLI prints it", () => {
    const sandbox = dovecotForSuite({ users: ["alice"], plugins: true });
    const project = projectForSuite(sandbox, "limits");

    it("a 2 MiB Sieve script is refused in preview with the limit, its size and a prefix, never whole", async () => {
        project.setResources([
            {
                kind: "SieveScript",
                name: "script",
                args: {
                    user: ALICE,
                    name: "rules",
                    active: false,
                    script: `# ${"a".repeat(2 * 1_048_576)}\nkeep;\n`,
                },
            },
        ]);
        const result = await project.pulumi(["preview", "--non-interactive", "--stack", project.stack], {
            allowFailure: true,
        });
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(/must be at most 1,048,576 bytes of UTF-8/);
        expect(result.output).toMatch(/script \(2,097,\d{3} bytes of UTF-8, starting "# aaaa/);
        expect(result.output.length).toBeLessThan(20_000);
        expect((await sandbox.doveadm(["sieve", "list", "-u", ALICE])).trim()).toBe("");
    });
});
