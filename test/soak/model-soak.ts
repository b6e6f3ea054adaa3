// The long run of the model-based test (test/model/run.ts): SOAK_MODEL_RUNS sequences (default 5) of
// at most SOAK_MODEL_COMMANDS steps (default 20), from a new seed each time (or SOAK_MODEL_SEED),
// through the pulumi CLI, or in-process with SOAK_MODEL_ENGINE=in-process (several times faster; the
// CLI's own part, its parallel checks, processes and state file, is then left out). A failure prints
// the seed and the fast-check path to replay; add them to REGRESSIONS in test/cli/model.test.ts once
// the defect is fixed.
//
//   npm run soak   (runs the client soak, then this)
import { runModel } from "../model/run";

async function main(): Promise<void> {
    const runs = Number(process.env.SOAK_MODEL_RUNS ?? 5);
    const maxCommands = Number(process.env.SOAK_MODEL_COMMANDS ?? 20);
    const seed = Number(process.env.SOAK_MODEL_SEED ?? Date.now() % 2 ** 31);
    const engine = process.env.SOAK_MODEL_ENGINE === "in-process" ? "in-process" : "cli";
    console.log(`model soak: seed ${seed}, ${runs} runs of at most ${maxCommands} steps, ${engine}`);
    await runModel({ seed, runs, maxCommands, engine, log: (line) => console.log(line) });
    console.log("model soak: no problem found");
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
