import * as dovecot from "@pulumi-dovecot/dovecot";

new dovecot.SieveScript("alice-filters", {
    user: "alice@example.org",
    name: "filters",
    script: 'require "fileinto";\nif header :contains "Subject" "work" { fileinto "Work"; }\n',
});
