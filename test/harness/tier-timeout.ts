// Each tier's default time limit for one test, set before each test file runs: jest reads `testTimeout`
// only from the top-level configuration, never from a project's, so jest.config.js gives each tier its
// limit through this file (a file's own jest.setTimeout, or a test's own limit, still wins).
import * as path from "node:path";

const LIMITS: Record<string, number> = { unit: 30_000, server: 60_000, cli: 120_000, release: 300_000 };

const testPath = expect.getState().testPath ?? "";
const tier = path.relative(path.join(__dirname, ".."), testPath).split(path.sep)[0] ?? "";
const limit = LIMITS[tier];
if (limit === undefined)
    throw new Error(`${testPath} is in no test tier (test/unit, server, cli or release)`);
jest.setTimeout(limit);
