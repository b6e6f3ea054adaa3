// Jest settings. Test files share one Dovecot binary but each starts its own server on free ports, so
// they may run in parallel; the timeouts are generous because the lifecycle tests drive the pulumi CLI.
/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
    testTimeout: 60_000,
    // Every process a test starts is marked, and the run fails if one outlives the suite.
    globalSetup: "<rootDir>/test/harness/global-setup.ts",
    globalTeardown: "<rootDir>/test/harness/global-teardown.ts",
    maxWorkers: 2,
    verbose: true,
};
