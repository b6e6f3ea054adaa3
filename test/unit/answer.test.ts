// The repair of Dovecot 2.3's multi-command answers, which lack the comma before an error that
// follows another command's answer.
import * as fc from "fast-check";
import { withCommas } from "../../provider/client/transport";

describe("withCommas", () => {
    it("puts back the comma Dovecot 2.3 leaves out before an error", () => {
        const text = '[["doveadmResponse",[],"a"]["error",{"type":"exitCode","exitCode":65},"b"]]';
        expect(JSON.parse(withCommas(text))).toEqual([
            ["doveadmResponse", [], "a"],
            ["error", { type: "exitCode", exitCode: 65 }, "b"],
        ]);
    });

    it("leaves a well-formed answer as it is, and brackets inside strings alone", () => {
        const good = '[["doveadmResponse",[{"mailbox":"a][b\\\\\\"]["}],"a"],["error",{"type":"x"},"b"]]';
        expect(withCommas(good)).toBe(good);
        const missing = '[["doveadmResponse",[{"mailbox":"x]["}],"a"] \n ["doveadmResponse",[],"b"]]';
        expect(JSON.parse(withCommas(missing))).toEqual([
            ["doveadmResponse", [{ mailbox: "x][" }], "a"],
            ["doveadmResponse", [], "b"],
        ]);
    });

    it("does not turn text that is no doveadm answer into one", () => {
        expect(() => JSON.parse(withCommas("<html>][</html>"))).toThrow();
        expect(withCommas("[]")).toBe("[]");
    });

    it("repairs any run of answers, with or without commas and whitespace between them", () => {
        const entry = fc.tuple(
            fc.constantFrom("doveadmResponse", "error"),
            fc.oneof(
                fc.array(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), { maxLength: 3 }),
                fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
            ),
            fc.string(),
        );
        const gap = fc.constantFrom(",", "", " ", "\n", ", ", "\r\n\t");
        fc.assert(
            fc.property(fc.array(fc.tuple(entry, gap), { maxLength: 6 }), (entries) => {
                const text = `[${entries.map(([e, g], i) => (i === 0 ? "" : g) + JSON.stringify(e)).join("")}]`;
                expect(JSON.parse(withCommas(text))).toEqual(entries.map(([e]) => e));
            }),
            { numRuns: 300 },
        );
    });

    it("repairs a look at thousands of folders in about the answer's own size", () => {
        const rows = (tag: string) =>
            JSON.stringify([
                "doveadmResponse",
                Array.from({ length: 40_000 }, (_, i) => ({
                    mailbox: `Bench/F${i}`,
                    messages: "0",
                    guid: "0123456789abcdef0123456789abcdef",
                })),
                tag,
            ]);
        const text = `[${rows("a")}${JSON.stringify(["error", { type: "exitCode", exitCode: 68 }, "b"])}]`;
        expect(text.length).toBeGreaterThan(3_000_000);
        const before = process.memoryUsage().heapUsed;
        const repaired = withCommas(text);
        const grown = process.memoryUsage().heapUsed - before;
        // Held here, the result is the answer once more at most; built a character at a time it
        // was a rope of 32 bytes per character (over 100 MB for this answer).
        expect(grown).toBeLessThan(4 * text.length);
        expect(repaired.length).toBe(text.length + 1);
        expect(JSON.parse(repaired)[1]).toEqual(["error", { type: "exitCode", exitCode: 68 }, "b"]);
    });
});
