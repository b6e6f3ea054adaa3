import pulumi_dovecot as dovecot

dovecot.SieveScript("alice-filters", user="alice@example.org", name="filters",
    script='require "fileinto";\nif header :contains "Subject" "work" { fileinto "Work"; }\n')
