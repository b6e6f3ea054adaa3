// Jest settings. Test files share one Dovecot binary but each starts its own server on free ports, so
// they may run in parallel; the timeouts are generous because the lifecycle tests drive the pulumi CLI.
/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
    testTimeout: 60_000,
    maxWorkers: 2,
    verbose: true,
};
