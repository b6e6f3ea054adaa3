// Jest settings: the tests in four tiers, each a project that runs alone (`npx jest --selectProjects
// server`), all of them by default (`npm test`):
// - unit: pure code, seconds;
// - server: a real Dovecot started per file, the handlers in-process (test/harness/lifecycle.ts);
// - cli: the real `pulumi` CLI where the engine's part matters (preview, killed runs, state, imports,
//   upgrades, several provider processes) and the model-based test;
// - release: the examples in every language, the SDKs, the plugin executable, installs from git and
//   from the packages a release publishes.
// Test files share one Dovecot binary but each starts its own server on free ports, so they may run in
// parallel; every process a test starts is marked, and the run fails if one outlives the suite.
const transform = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] };
// Each tier's limit for one test is in test/harness/tier-timeout.ts (jest ignores a project's testTimeout).
const tier = (name) => ({
    displayName: name,
    testEnvironment: "node",
    roots: [`<rootDir>/test/${name}`],
    testMatch: ["**/*.test.ts"],
    transform,
    setupFilesAfterEnv: ["<rootDir>/test/harness/tier-timeout.ts"],
});

/** @type {import('jest').Config} */
module.exports = {
    projects: [tier("unit"), tier("server"), tier("cli"), tier("release")],
    globalSetup: "<rootDir>/test/harness/global-setup.ts",
    globalTeardown: "<rootDir>/test/harness/global-teardown.ts",
    // One worker per core. Eight cli files alone ran 10% faster with two per core (108 s -> 97 s), but
    // the whole suite with four workers drove the load average past 60 (the release tier's builds beside
    // three other files) and tests ran out of time.
    maxWorkers: 2,
    verbose: true,
};
