// A model-based test of the whole tool (fast-check `fc.commands`): random sequences of program edits
// and random faults, applied by an engine (the real `pulumi` CLI, or the handlers' life cycle
// in-process: engine.ts) to two real Dovecots with Sieve, ACLs and METADATA: the default server, and
// one named in `dovecot:servers` ("east"). The program declares Mailboxes, a FolderSet, SieveScripts,
// MailboxAcls, MailboxMetadata and Subscriptions on either server; steps declare, remove, rename,
// re-own (another account, or another spelling of the same one), move to the other server and change
// them (a script's text, active flag and adopt, ACL rights, a METADATA value, ...), subscribe, adopt,
// forceDestroy, deliver mail. Faults: connections dropped before or after the server ran a command
// (folder and plugin commands), exit 75, a server stopped in the middle of `up`, names the server
// refuses. Two more kinds of steps:
// - a duplicate target: the program declares a second resource with the target of one it has (two
//   SieveScripts of one user and name, two active ones of one user, two MailboxAcls of one mailbox
//   and identifier, two MailboxMetadata of one entry, two Subscriptions of one name, a Subscription of
//   a Mailbox's folder, two Mailboxes of one folder, a Mailbox of a FolderSet folder), sometimes with
//   an unrelated edit beside it; `up` must be refused naming both (see `Duplicate` for what the
//   server may show then, and why);
// - someone else, with doveadm: stores and activates a Sieve script of their own for a user (an
//   active SieveScript of the program for that user is then refused unless `adopt`; with adopt it is
//   made active and records the script it replaced, which its removal makes active again), deletes
//   one, sets an ACL entry or a METADATA entry the program does not declare.
// After every step it checks, with doveadm and never with the code under test:
// - no message is ever lost unless forceDestroy was declared for its folder;
// - nothing the program does not declare changes: canary folders (GUID and messages), subscriptions,
//   Sieve scripts (text, and active state, which only an adopting SieveScript and its removal change,
//   as the model predicts), ACL entries and METADATA entries, of canaries and of "someone else";
// - a refused `up` changes nothing on either server (a duplicate target: see `Duplicate`);
// - refresh and destroy always work;
// - after a fault-free `up`, both servers hold exactly what the program declares plus what nobody
//   declared (folders, subscriptions, scripts with text and active state, ACL entries, METADATA
//   entries), the state agrees (GUIDs, the script an adopting SieveScript replaced), and
//   `preview --refresh --expect-no-changes` passes (refresh reads it all back as applied).
// Used seeded and bounded by `npm test` (in-process in test/server/model.test.ts, through the CLI in
// test/cli/model.test.ts) and longer by `npm run soak`.
//
// This file starts the real system, ends a run and runs the sequences. The parts, each a module of
// test/model/: universe.ts (the names), program.ts (the program as resources), sieve.ts (the Sieve
// simulation), model.ts (the model's state), world.ts (the servers as facts), checks.ts, apply.ts
// (running `up`), steps.ts, plugin-steps.ts, duplicates.ts and foreign.ts (the steps), arbitraries.ts,
// engine.ts (what applies the program).
import fc from "fast-check";
import { Sandbox, startDovecot } from "../harness/dovecot";
import { FaultProxy, startFaultProxy } from "../harness/fault-proxy";
import {
    ALICE,
    BOB,
    CANARY_META,
    CAROL,
    LEGACY,
    MAILBOX_SLOTS,
    OWNERS,
    ServerRef,
    TEAM,
    at,
} from "./universe";
import { emptyProgram } from "./program";
import { SieveSim, ownerScripts } from "./sieve";
import { Model, Real, Undeclared } from "./model";
import { expectedWorld, readStatuses, readWorld, worldDiff } from "./world";
import { checkSafety } from "./checks";
import { apply } from "./apply";
import { commandArbs } from "./arbitraries";
import { kindOfStep } from "./steps";
import { EngineKind, startEngine } from "./engine";

/**
 * Starts the real system for one run: two Dovecots with plugins, canaries (folders with mail,
 * subscriptions, Sieve scripts, ACL and METADATA entries that no program declares) and Legacy, a
 * proxy in front of each, and the engine (`engineKind`), with the second server named "east".
 */
export async function setup(
    log: (line: string) => void,
    engineKind: EngineKind = "cli",
): Promise<{ model: Model; real: Real; stop: () => Promise<void> }> {
    const t0 = Date.now();
    const [main, east] = await Promise.all([
        startDovecot({ users: ["alice", "bob", "carol"], plugins: true }),
        startDovecot({ users: ["alice", "carol"], plugins: true }),
    ]);
    const sandboxes: Record<ServerRef, Sandbox> = { default: main, east };
    const proxies: Record<ServerRef, FaultProxy> = {
        default: await startFaultProxy({ target: main.endpoint }),
        east: await startFaultProxy({ target: east.endpoint }),
    };
    log(`setup: servers started (${Date.now() - t0} ms)`);
    const undeclared: Undeclared = { folders: [], scripts: [], acls: [], metas: [], subs: [] };
    const sieve: SieveSim = { owners: {}, replaced: {} };
    const folders: Array<[ServerRef, string, string, number]> = [
        ["default", ALICE, "CanaryKeep", 2],
        ["default", BOB, "Canary", 1],
        ["default", CAROL, "Work", 1],
        ["default", CAROL, "Home", 1],
        ["default", ALICE, LEGACY, 1],
        ["default", ALICE, TEAM, 0],
        ["default", BOB, TEAM, 0],
        ["east", ALICE, "CanaryKeep", 1],
        ["east", CAROL, "Work", 1],
        ["east", ALICE, TEAM, 0],
    ];
    const subscriptions = [
        ["default", ALICE, "CanaryKeep"],
        ["default", ALICE, "Old/Gone"],
        ["default", CAROL, "Work"],
        ["east", ALICE, "Old/Gone"],
    ] as const;
    const scripts = [
        ["default", ALICE, "keepme", "# alice's own, never active\nkeep;\n", false],
        ["default", CAROL, "carol-rules", "# carol's\nkeep;\n", true],
        ["east", CAROL, "carol-rules", "# carol's on east\nkeep;\n", true],
    ] as const;
    const acls = [
        ["default", ALICE, "INBOX", "group=canary", ["lookup", "read"]],
        ["default", CAROL, "INBOX", "group=canary", ["lookup"]],
        ["east", ALICE, TEAM, "group=canary", ["insert", "lookup"]],
    ] as const;
    // Each account's canaries in order, the accounts at once: doveadm is a process per call, and on
    // Dovecot 2.4 (chrooted) mostly waiting.
    const chains = new Map<string, Array<() => Promise<unknown>>>();
    const then = (server: ServerRef, user: string, step: () => Promise<unknown>) =>
        chains.set(at(server, user), [...(chains.get(at(server, user)) ?? []), step]);
    for (const [server, user, name, count] of folders)
        then(server, user, async () => {
            await sandboxes[server].doveadm(["mailbox", "create", "-u", user, name]);
            if (count > 0) await sandboxes[server].deliver(user, name, count);
        });
    for (const { server, user } of OWNERS) then(server, user, () => sandboxes[server].mailboxes(user)); // opens every INBOX
    for (const [server, user, name] of subscriptions)
        then(server, user, () => sandboxes[server].doveadm(["mailbox", "subscribe", "-u", user, name]));
    for (const [server, user, name, text, active] of scripts)
        then(server, user, () =>
            sandboxes[server].doveadm(["sieve", "put", "-u", user, ...(active ? ["-a"] : []), name], text),
        );
    for (const [server, user, mailbox, id, rights] of acls)
        then(server, user, () =>
            sandboxes[server].doveadm(["acl", "set", "-u", user, mailbox, id, ...rights]),
        );
    for (const { server, user, mailbox, key, value } of CANARY_META)
        then(server, user, () =>
            sandboxes[server].doveadm(["mailbox", "metadata", "set", "-u", user, mailbox, key, value]),
        );
    await Promise.all(
        [...chains.values()].map(async (steps) => {
            for (const step of steps) await step();
        }),
    );
    const statuses = await Promise.all(
        OWNERS.map(({ server, user }) => readStatuses(sandboxes[server], user)),
    );
    OWNERS.forEach(({ server, user }, i) => {
        for (const f of statuses[i] ?? [])
            if (f.name !== LEGACY) undeclared.folders.push({ server, user, ...f });
    });
    for (const [server, user, name] of subscriptions) undeclared.subs.push({ server, user, name });
    for (const [server, user, name, text, active] of scripts) {
        const o = ownerScripts(sieve, at(server, user));
        o.scripts[name] = text;
        if (active) o.active = name;
        undeclared.scripts.push({ server, user, name, canary: true });
    }
    for (const [server, user, mailbox, id, rights] of acls)
        undeclared.acls.push({ server, user, mailbox, id, rights: [...rights] });
    for (const { server, user, mailbox, key, value } of CANARY_META)
        undeclared.metas.push({ server, user, mailbox, key, value });
    log(`setup: canaries made (${Date.now() - t0} ms)`);
    const engine = await startEngine(engineKind, {
        default: { endpoint: proxies.default.endpoint, apiKey: main.apiKey },
        east: { endpoint: proxies.east.endpoint, apiKey: east.apiKey },
    });
    const legacy = await main.status(ALICE, LEGACY);
    const model: Model = {
        program: emptyProgram(),
        applied: emptyProgram(),
        delivered: new Map([[legacy!.guid, { server: "default", user: ALICE, count: 1 }]]),
        forceEver: new Set(),
        legacy: true,
        undeclared,
        sieve,
    };
    const real: Real = { sandboxes, proxies, engine, log };
    // The world as set up is what the model says, before anything runs.
    const diff = worldDiff(expectedWorld(model, model.program, model.sieve), await readWorld(real));
    log(`setup: done (${Date.now() - t0} ms)`);
    if (diff.length > 0) throw new Error(`setup: the servers are not as the model says:\n${diff.join("\n")}`);
    return {
        model,
        real,
        stop: async () => {
            await engine.stop();
            await Promise.all(Object.values(proxies).map((p) => p.close()));
            await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
        },
    };
}

/**
 * The end of every run: the program drops its scripts, ACL and METADATA entries and subscriptions
 * (all in one `up`: the scripts that adopting SieveScripts replaced are made active again in whatever
 * order the deletes ran); destroy works (refusing only folders that hold mail without forceDestroy,
 * and losing nothing), and with forceDestroy everywhere it removes every folder the program made;
 * what nobody declared is then all that is left, as it was.
 */
export async function finish(model: Model, real: Real): Promise<void> {
    model.program.sieves = {};
    model.program.acls = {};
    model.program.metas = {};
    model.program.subs = {};
    await apply(
        model,
        real,
        { kind: "none" },
        "finish: remove the scripts, ACLs, METADATA and subscriptions",
    );
    real.log("finish: destroy");
    const destroy = await real.engine.destroy();
    if (destroy.code !== 0 && !/holds \d+ messages?/.test(destroy.output))
        throw new Error(
            `destroy failed for another reason than deletion safety:\n${destroy.output.slice(-4000)}`,
        );
    await checkSafety(model, real, "after destroy", [model.sieve], true);
    for (const slot of MAILBOX_SLOTS) {
        const m = model.program.mailboxes[slot];
        if (m) m.forceDestroy = true;
    }
    if (model.program.set) model.program.set.forceDestroy = true;
    await apply(model, real, { kind: "none" }, "finish: forceDestroy everywhere");
    const again = await real.engine.destroy();
    if (again.code !== 0) throw new Error(`destroy with forceDestroy failed:\n${again.output.slice(-4000)}`);
    await checkSafety(model, real, "after the final destroy", [model.sieve], false);
    if ((await real.engine.stateResources()).length > 0)
        throw new Error("destroy left resources in the state");
    const diff = worldDiff(expectedWorld(model, emptyProgram(), model.sieve), await readWorld(real));
    if (diff.length > 0)
        throw new Error(
            `after the final destroy, the servers hold more or less than nobody's things:\n${diff.join("\n")}`,
        );
}

/** What runs of the model reached: the kinds of the steps that ran, and of the faults they ran under. */
export interface ModelReport {
    /** Each step that ran, as `kindOfStep` names it (`Declare`, `sieve.value`, ...), in order. */
    steps: string[];
    /** The faults those steps ran under (`proxy`, `stop`), in order. */
    faults: string[];
}

/**
 * Runs the model through an engine: `runs` sequences of at most `maxCommands` steps, from `seed` (or
 * a replayed `path`). Returns what the runs reached, for a test to check that its seeds still reach
 * the steps they were chosen for.
 */
export async function runModel(options: {
    seed: number;
    runs: number;
    maxCommands: number;
    path?: string;
    /** The engine that applies the programs: the real `pulumi` CLI (the default), or in-process. */
    engine?: EngineKind;
    log?: (line: string) => void;
}): Promise<ModelReport> {
    const log = options.log ?? (() => undefined);
    const report: ModelReport = { steps: [], faults: [] };
    await fc.assert(
        fc.asyncProperty(
            fc.commands(commandArbs, { maxCommands: options.maxCommands, size: "max" }),
            async (commands) => {
                const { model, real, stop } = await setup(log, options.engine);
                try {
                    log(`--- run: ${[...commands].map(String).join("; ")}`);
                    // fast-check runs a command when its check passes; note it on the way.
                    const noted = [...commands].map((command) => ({
                        check: (m: Readonly<Model>) => command.check(m),
                        run: async (m: Model, r: Real) => {
                            const { step, fault } = kindOfStep(String(command));
                            report.steps.push(step);
                            if (fault !== undefined) report.faults.push(fault);
                            await command.run(m, r);
                        },
                        toString: () => String(command),
                    }));
                    await fc.asyncModelRun(() => ({ model, real }), noted);
                    await finish(model, real);
                } finally {
                    await stop();
                }
            },
        ),
        { seed: options.seed, numRuns: options.runs, path: options.path, endOnFailure: true, verbose: 1 },
    );
    return report;
}

/**
 * The log of a test file's model runs, for the enclosing describe block: each line timed, kept in
 * memory, and printed after each test when MODEL_LOG is set.
 */
export function modelLog(): (line: string) => void {
    const lines: string[] = [];
    afterEach(() => {
        if (process.env.MODEL_LOG) console.log(lines.join("\n"));
        lines.length = 0;
    });
    return (line) => {
        lines.push(`${new Date().toISOString()} ${line}`);
    };
}
