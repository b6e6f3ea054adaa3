// The model-based test (see test/model/run.ts) through the real pulumi CLI, seeded and bounded so that
// `npm test` runs the same sequences every time; `npm run soak` runs it longer with new seeds. The
// same model runs in-process, with more sequences, in test/server/model.test.ts; here it runs what
// needs the engine itself: `up --skip-preview` with its parallel checks and creates (which decide how
// a duplicate target is refused, and whether the duplicate is applied and recorded first), the
// provider in its own process, the state file, and `preview --refresh --expect-no-changes`. A seed
// that once failed stays here as a regression case, replayed exactly (seed and path) on every run.
import { modelLog, runModel } from "../model/run";

// A safety net, not a bound on the run (its step count bounds it): seed 9510 took 13 minutes through
// the CLI on a 2-core machine under a load of 20.
jest.setTimeout(1_800_000);

/**
 * One sequence per Dovecot version, chosen (with a simulation of the model that needs no server) so
 * that, with the regression below, every kind of step runs through the CLI: 2.3's has duplicate
 * targets of a MailboxAcl and of a Subscription of a Mailbox's folder, Adopt, Remove, RefusedName,
 * Deliver, a Subscription moved to the other server, someone else's METADATA, a server stopped in
 * the middle of `up`; 2.4's has a FolderSet, ChangeUser, Rename, MoveMailbox, Toggle, RefusedName,
 * someone else's active Sieve script, METADATA, and three server stops. Each must still reach the
 * kinds of steps and faults it was chosen for.
 */
const SEQUENCE =
    process.env.DOVECOT_VERSION === "2.4"
        ? {
              seed: 8844,
              reaches: [
                  "ChangeUser",
                  "Declare",
                  "Foreign.sieve-put",
                  "MoveMailbox",
                  "RefusedName",
                  "Rename",
                  "SetEdit",
                  "Toggle",
                  "meta.declare",
              ],
              faults: ["proxy", "stop"],
          }
        : {
              seed: 9510,
              reaches: [
                  "Adopt",
                  "Deliver",
                  "Duplicate",
                  "Foreign.meta",
                  "RefusedName",
                  "Remove",
                  "acl.declare",
                  "sub.declare",
                  "sub.server",
              ],
              faults: ["proxy", "stop"],
          };
/**
 * Seeds (and fast-check paths) that found a defect once, replayed on every run (each also has a
 * reproduction of its own under test/lifecycle/), with what they reach.
 */
const REGRESSIONS: Array<{ seed: number; path: string; found: string; reaches: string[] }> = [
    {
        seed: 10113,
        path: "0",
        found: "a SieveScript whose store went unanswered was refused as someone else's by the next up (sieve-create-lost-answer)",
        reaches: ["Duplicate", "acl.declare", "sieve.declare"],
    },
];

describe("random program edits and faults through the pulumi CLI keep every promise", () => {
    const log = modelLog();

    it(`seed ${SEQUENCE.seed}`, async () => {
        const report = await runModel({ seed: SEQUENCE.seed, runs: 1, maxCommands: 15, log });
        expect([...new Set(report.steps)]).toEqual(expect.arrayContaining(SEQUENCE.reaches));
        expect([...new Set(report.faults)]).toEqual(expect.arrayContaining(SEQUENCE.faults));
    });

    for (const r of REGRESSIONS) {
        it(`regression (seed ${r.seed}): ${r.found}`, async () => {
            const report = await runModel({ seed: r.seed, runs: 1, maxCommands: 15, path: r.path, log });
            expect([...new Set(report.steps)]).toEqual(expect.arrayContaining(r.reaches));
        });
    }
});
