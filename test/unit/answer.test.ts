// The repair of Dovecot 2.3's multi-command answers, which lack the comma before an error that
// follows another command's answer.
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
});
