import { isInbox, mailboxNameProblem, modifiedUtf7Length, userProblem } from "../../provider/names";

describe("mailbox names", () => {
    it.each([
        ["Archive/2026"],
        ["INBOX"],
        ["INBOX/Sub"],
        ["Entwürfe"],
        ["子/孙"],
        ["a.b"],
        ["with space inside"],
        ["A&B"],
    ])("accepts %j", (name) => {
        expect(mailboxNameProblem(name, "/")).toBeUndefined();
    });

    it.each([
        ["", /empty/],
        ["a\tb", /control/],
        ["a\nb", /control/],
        ["a\u0000b", /control/],
        ["/lead", /start with/],
        ["trail/", /end with/],
        ["a//b", /adjacent/],
        ["a*", /wildcards/],
        ["50%", /wildcards/],
        ["a/../b", /'\.\.'/],
        ["~home", /'~'/],
        ["a/ b", /spaces/],
        ["b /a", /spaces/],
        ["x".repeat(251), /too long/],
        ["\ud800x", /Unicode/],
    ])("rejects %j with a reason", (name, reason) => {
        expect(mailboxNameProblem(name, "/")).toMatch(reason);
    });

    it("uses the configured separator", () => {
        expect(mailboxNameProblem("a..b", ".")).toMatch(/adjacent/);
        expect(mailboxNameProblem("a//b", ".")).toBeUndefined();
    });

    it("measures names in modified UTF-7, where non-ASCII takes more room", () => {
        expect(modifiedUtf7Length("abc")).toBe(3);
        expect(modifiedUtf7Length("&")).toBe(2);
        expect(modifiedUtf7Length("ü")).toBe(5); // &APw-
        expect(modifiedUtf7Length("子孙")).toBe(2 + 6); // &W1Dbgw-
        expect(mailboxNameProblem("üa".repeat(50), "/")).toMatch(/too long/); // 300 bytes as &APw-a...
        expect(mailboxNameProblem("üa".repeat(40), "/")).toBeUndefined(); // 240 bytes
    });

    it("knows INBOX in any case", () => {
        expect(isInbox("inbox")).toBe(true);
        expect(isInbox("Inbox")).toBe(true);
        expect(isInbox("INBOX/x")).toBe(false);
    });
});

describe("user names", () => {
    it("accepts ordinary logins", () => {
        expect(userProblem("alice@example.org")).toBeUndefined();
        expect(userProblem("bob")).toBeUndefined();
    });
    it.each([
        ["", /empty/],
        ["a*", /wildcards/],
        ["a?", /wildcards/],
        ["a b", /spaces/],
        ["a\nb", /control/],
        ["x".repeat(256), /too long/],
    ])("rejects %j", (user, reason) => {
        expect(userProblem(user)).toMatch(reason);
    });
});
