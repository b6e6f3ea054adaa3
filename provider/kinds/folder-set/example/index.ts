import * as dovecot from "@pulumi-dovecot/dovecot";

new dovecot.FolderSet("alice", {
    user: "alice@example.org",
    folders: [
        { name: "Archive" },
        { name: "Receipts", subscribed: false },
        { name: "Projects/2026", renamedFrom: "Projects/Current" },
    ],
});
