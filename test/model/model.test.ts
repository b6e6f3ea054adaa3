// The model-based test (see model.ts), seeded and bounded so that `npm test` runs the same sequences
// every time; `npm run soak` runs it longer with new seeds. A seed that once failed stays here as a
// regression case, replayed exactly (seed and path) on every run.
import { runModel } from "./model";

jest.setTimeout(900_000);

/**
 * Sequences run on every `npm test`: fixed seeds (another one per Dovecot version, for coverage), so
 * a failure is reproducible with the same seed.
 */
const SEEDS = process.env.DOVECOT_VERSION === "2.4" ? [20261130, 8] : [20261129, 7];
/** Seeds (and fast-check paths) that found a defect once, replayed on every run. */
const REGRESSIONS: Array<{ seed: number; path: string; found: string }> = [];

describe("random program edits and faults through the pulumi CLI keep every promise", () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(`${new Date().toISOString()} ${line}`);
    afterEach(() => {
        if (process.env.MODEL_LOG) console.log(lines.join("\n"));
        lines.length = 0;
    });

    it.each(SEEDS)("seed %i", async (seed) => {
        await runModel({ seed, runs: 1, maxCommands: 15, log });
    });

    for (const r of REGRESSIONS) {
        it(`regression (seed ${r.seed}): ${r.found}`, async () => {
            await runModel({ seed: r.seed, runs: 1, maxCommands: 15, path: r.path, log });
        });
    }
});
