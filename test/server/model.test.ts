// The model-based test (test/model/run.ts) in-process: the same random program edits, faults and
// checks as through the pulumi CLI (test/cli/model.test.ts), with the handlers' life cycle standing for
// the engine (test/model/engine.ts), so that many more steps run in the time one CLI sequence takes.
// Seeded and bounded, so every run replays the same sequences; what needs the engine itself (its
// previews, parallel checks, processes and state file) stays in the cli tier.
import { modelLog, runModel } from "../model/run";

// A safety net, not a bound on the run (its step count bounds it): on a 2-core machine under a load of
// 20, seed 2887 took 348 s on 2.4 and seed 391 299 s on 2.3.
jest.setTimeout(1_200_000);

/** A fixed sequence, and the kinds of steps and faults it must still reach (see `kindOfStep`). */
interface Sequence {
    seed: number;
    maxCommands: number;
    reaches: string[];
    faults: string[];
}

/**
 * Sequences per Dovecot version, chosen (with a simulation of the model that needs no server) to reach
 * the kinds of steps the cli tier's seeds reached before the model ran in-process (2.3: seeds 2028
 * and 391, which run here unchanged; 2.4: seeds 2069 and 903, 2.7 minutes in-process, replaced by two
 * shorter sequences that reach the same kinds), plus FolderSet, rename and move steps on 2.3.
 */
const SEQUENCES: Sequence[] =
    process.env.DOVECOT_VERSION === "2.4"
        ? [
              {
                  seed: 2887,
                  maxCommands: 8,
                  reaches: [
                      "Adopt",
                      "Deliver",
                      "Foreign.meta",
                      "Foreign.sieve-put",
                      "RefusedName",
                      "meta.declare",
                  ],
                  faults: ["proxy", "stop"],
              },
              {
                  seed: 3014,
                  maxCommands: 20,
                  reaches: [
                      "Declare",
                      "Duplicate",
                      "MoveMailbox",
                      "Remove",
                      "acl.declare",
                      "sieve.declare",
                      "sub.declare",
                      "sub.server",
                  ],
                  faults: ["proxy", "stop"],
              },
          ]
        : [
              {
                  seed: 2028,
                  maxCommands: 15,
                  reaches: [
                      "ChangeUser",
                      "Declare",
                      "Duplicate",
                      "Foreign.sieve-put",
                      "sieve.declare",
                      "sub.declare",
                      "sub.user",
                  ],
                  faults: ["proxy", "stop"],
              },
              {
                  seed: 391,
                  maxCommands: 15,
                  reaches: [
                      "Adopt",
                      "Declare",
                      "Duplicate",
                      "Foreign.meta",
                      "acl.declare",
                      "acl.value",
                      "meta.declare",
                      "sieve.declare",
                  ],
                  faults: ["proxy"],
              },
              {
                  seed: 14497,
                  maxCommands: 20,
                  reaches: ["Declare", "MoveMailbox", "Rename", "SetEdit", "acl.declare", "meta.declare"],
                  faults: ["proxy"],
              },
          ];

describe("random program edits and faults, applied in-process, keep every promise", () => {
    const log = modelLog();

    it.each(SEQUENCES)(
        "seed $seed, at most $maxCommands steps",
        async ({ seed, maxCommands, reaches, faults }) => {
            const report = await runModel({ seed, runs: 1, maxCommands, engine: "in-process", log });
            expect([...new Set(report.steps)]).toEqual(expect.arrayContaining(reaches));
            expect([...new Set(report.faults)]).toEqual(expect.arrayContaining(faults));
        },
    );
});
