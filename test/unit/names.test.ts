import {
    canonicalName,
    renameProblem,
    isInbox,
    mailboxNameProblem,
    modifiedUtf7Length,
    userProblem,
} from "../../provider/names";

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

describe("the canonical form of a name", () => {
    it.each([
        ["inbox", "INBOX"],
        ["Inbox/Receipts", "INBOX/Receipts"],
        ["iNbOx/a/b", "INBOX/a/b"],
        ["INBOX/x", "INBOX/x"],
        ["Inboxes/x", "Inboxes/x"],
        ["Archive/inbox", "Archive/inbox"],
    ])("spells %j as %j", (name, canonical) => {
        expect(canonicalName(name, "/")).toBe(canonical);
    });

    it("uses the configured separator", () => {
        expect(canonicalName("inbox.x", ".")).toBe("INBOX.x");
        expect(canonicalName("inbox.x", "/")).toBe("inbox.x");
    });
});

describe("the names a rename moves", () => {
    const names = ["INBOX", "P", `P/${"c".repeat(240)}`, "Other"];
    it("accepts a rename whose moved names all fit", () => {
        expect(renameProblem(names, "P", "Q", "/")).toBeUndefined();
    });
    it("names the subfolder whose new name would be too long", () => {
        const problem = renameProblem(names, "P", "Q".repeat(20), "/");
        expect(problem).toMatch(/subfolder "P\/c+"/);
        expect(problem).toMatch(/too long/);
    });
    it("ignores names that only share a prefix", () => {
        expect(renameProblem(["P", `Px/${"c".repeat(245)}`], "P", "Q".repeat(20), "/")).toBeUndefined();
    });
});
