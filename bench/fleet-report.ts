// The fleet benchmark's part of bench/RESULTS.md: each target of the fleet issue with its verdict,
// every figure beside the baselines of the same run, and how each grows with the fleet's size.
import { BulkResult, FACES, Face, FleetResults } from "./fleet";

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const verdict = (ok: boolean) => (ok ? "met" : "NOT met");

/** The targets of the fleet issue. */
const LIMITS = {
    up: 1.5,
    addOneRequestsPerUser: 2,
    addOne: 1.3,
    drift: 1.5,
    driftRequestsPerUser: 1,
    destroy: 1.3,
    rssMb: { dynamic: 250, plugin: 150 } as Record<Face, number>,
    single: 1.5,
    singleRssMb: 250,
};

/** The fleet's sections of the report. */
export function fleetReport(all: FleetResults, perUser: number): string[] {
    // The runs without the heap settings under test appear only in their own comparison table.
    const fleet = { ...all, results: all.results.filter((r) => !r.defaultHeap) };
    const unset = all.results.filter((r) => r.defaultHeap);
    const find = (face: Face, users: number, folders: number, command: string) =>
        fleet.results.find(
            (r) => r.face === face && r.users === users && r.folders === folders && r.command === command,
        );
    const bulk = (users: number, folders: number, operation: string) =>
        fleet.bulk.find((b) => b.users === users && b.folders === folders && b.operation === operation);
    const sizes = [...new Set(fleet.results.filter((r) => r.users > 1).map((r) => r.users))].sort(
        (a, b) => a - b,
    );
    const lines: string[] = [
        "## Fleet: one FolderSet per user",
        "",
        `Stacks of one \`FolderSet\` per user, ${perUser} folders each, through the \`pulumi\` CLI (${fleet.parallel === undefined ? "default `--parallel`" : `\`--parallel ${fleet.parallel}\``}, file backend, checkpoints on, the package installed under node_modules), ` +
            "on both faces: the dynamic `FolderSet` and the plugin's `dovecot:index:FolderSet` (a Node.js program using its SDK). Beside them, in the same run: " +
            "the **no-op** (a dynamic resource per user whose create and update return their inputs: the engine's own cost for the same folder lists), and the server's **bulk** time for the same folders " +
            "(per user one request straight to Dovecot, 4 users at a time: an array-form create with the subscriptions, or the safe create's two commands per folder, a create under a temporary name with the GUID then a rename into place; " +
            "delete likewise with the unsubscribes). The **limit** of `up` is the no-op's `up` plus the bulk create (one command per user), of `destroy` the no-op's `destroy` plus the bulk delete. " +
            "`drift` is `pulumi preview --refresh --expect-no-changes`; `add-one` an `up` that adds one (subscribed) folder to every user. Requests are counted in the server's access log; peak RSS is the provider process's (the no-op's is the dynamic provider's with no code of this package), sampled every 50 ms." +
            (fleet.nodeOptions
                ? ` Every pulumi command ran with NODE_OPTIONS=\`${fleet.nodeOptions}\`.`
                : "") +
            (Object.keys(fleet.providerEnv ?? {}).length > 0
                ? ` The provider's environment added ${Object.entries(fleet.providerEnv ?? {})
                      .map(([k, v]) => `\`${k}=${v}\``)
                      .join(", ")}.`
                : ""),
        "",
        "### Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ];
    for (const users of sizes) {
        const folders = users * perUser;
        const at = `${users} × ${perUser}`;
        const noop = (command: string) => find("noop", users, folders, command);
        const create = bulk(users, folders, "create");
        const create2 = bulk(users, folders, "create-2");
        const remove = bulk(users, folders, "delete");
        for (const face of ["dynamic", "plugin"] as const) {
            const got = (command: string) => find(face, users, folders, command);
            const name = face === "dynamic" ? "dynamic `FolderSet`" : "plugin `FolderSet`";
            const up = got("up");
            const noUp = noop("up");
            if (up && noUp && create) {
                const limit = noUp.seconds + create.seconds;
                const limit2 = create2 ? noUp.seconds + create2.seconds : NaN;
                lines.push(
                    `| ${at}, ${name}: \`up\` ≤ ${LIMITS.up}× (no-op \`up\` + bulk create) | ${f2(up.seconds / limit)}× (${f1(up.seconds)} s vs ${f1(noUp.seconds)} + ${f1(create.seconds)} s; ${f2(up.seconds / limit2)}× with the two-command bulk create, ${f1(create2?.seconds ?? NaN)} s) | ${verdict(up.seconds / limit <= LIMITS.up)} |`,
                );
            }
            const add = got("add-one");
            const noAdd = noop("add-one");
            if (add) {
                const perUserRequests = add.requests / users;
                lines.push(
                    `| ${at}, ${name}: adding one folder to every user ≤ ${LIMITS.addOneRequestsPerUser} requests per user | ${f2(perUserRequests)} (${add.requests}) | ${verdict(perUserRequests <= LIMITS.addOneRequestsPerUser)} |`,
                );
                if (noAdd)
                    lines.push(
                        `| ${at}, ${name}: adding one folder ≤ ${LIMITS.addOne}× the no-op's update | ${f2(add.seconds / noAdd.seconds)}× (${f1(add.seconds)} s vs ${f1(noAdd.seconds)} s) | ${verdict(add.seconds / noAdd.seconds <= LIMITS.addOne)} |`,
                    );
                const server = bulk(users, folders, "add-one");
                if (noAdd && server)
                    lines.push(
                        `| ${at}, ${name}: adding one folder, against the no-op's update + the server's look and one-folder create (for reference) | ${f2(add.seconds / (noAdd.seconds + server.seconds))}× (${f1(add.seconds)} s vs ${f1(noAdd.seconds)} + ${f1(server.seconds)} s) | - |`,
                    );
            }
            const drift = got("drift");
            const noDrift = noop("drift");
            if (drift) {
                if (noDrift)
                    lines.push(
                        `| ${at}, ${name}: drift check ≤ ${LIMITS.drift}× the no-op's | ${f2(drift.seconds / noDrift.seconds)}× (${f1(drift.seconds)} s vs ${f1(noDrift.seconds)} s) | ${verdict(drift.seconds / noDrift.seconds <= LIMITS.drift)} |`,
                    );
                const server = bulk(users, folders, "look");
                if (noDrift && server)
                    lines.push(
                        `| ${at}, ${name}: drift check, against the no-op's + the server's look at every user (for reference) | ${f2(drift.seconds / (noDrift.seconds + server.seconds))}× (${f1(drift.seconds)} s vs ${f1(noDrift.seconds)} + ${f1(server.seconds)} s) | - |`,
                    );
                lines.push(
                    `| ${at}, ${name}: drift check ≤ ${LIMITS.driftRequestsPerUser} request per user | ${f2(drift.requests / users)} (${drift.requests}) | ${verdict(drift.requests / users <= LIMITS.driftRequestsPerUser)} |`,
                );
            }
            const destroy = got("destroy");
            const noDestroy = noop("destroy");
            if (destroy && noDestroy && remove) {
                const limit = noDestroy.seconds + remove.seconds;
                lines.push(
                    `| ${at}, ${name}: \`destroy\` ≤ ${LIMITS.destroy}× (no-op \`destroy\` + bulk delete) | ${f2(destroy.seconds / limit)}× (${f1(destroy.seconds)} s vs ${f1(noDestroy.seconds)} + ${f1(remove.seconds)} s) | ${verdict(destroy.seconds / limit <= LIMITS.destroy)} |`,
                );
            }
            const runs = fleet.results.filter((r) => r.face === face && r.users === users);
            if (runs.length > 0) {
                const peak = Math.max(...runs.map((r) => r.peakRssMb));
                const noopPeak = Math.max(
                    ...fleet.results
                        .filter((r) => r.face === "noop" && r.users === users)
                        .map((r) => r.peakRssMb),
                );
                lines.push(
                    `| ${at}, ${name}: provider peak RSS ≤ ${LIMITS.rssMb[face]} MB | ${f1(peak)} MB (the no-op's provider: ${f1(noopPeak)} MB) | ${verdict(peak <= LIMITS.rssMb[face])} |`,
                );
            }
        }
    }
    const singles = fleet.results.filter((r) => r.users === 1);
    for (const face of ["dynamic", "plugin"] as const) {
        const runs = singles.filter((r) => r.face === face);
        if (runs.length === 0) continue;
        const folders = runs[0]?.folders ?? 0;
        const name = face === "dynamic" ? "dynamic" : "plugin";
        for (const [command, operation] of [
            ["up", "create"],
            ["renames", "rename"],
            ["destroy", "delete"],
        ] as const) {
            const r = runs.find((x) => x.command === command);
            const b = bulk(1, folders, operation);
            if (!r || !b) continue;
            const extra =
                command === "up"
                    ? `; ${f2(r.seconds / (bulk(1, folders, "create-2")?.seconds ?? NaN))}× the two-command create`
                    : "";
            lines.push(
                `| one user's ${folders} folders, ${name}: \`${command}\` ≤ ${LIMITS.single}× the bulk ${operation} | ${f2(r.seconds / b.seconds)}× (${f1(r.seconds)} s vs ${f1(b.seconds)} s${extra}) | ${verdict(r.seconds / b.seconds <= LIMITS.single)} |`,
            );
        }
        const peak = Math.max(...runs.map((r) => r.peakRssMb));
        lines.push(
            `| one user's ${folders} folders, ${name}: provider peak ≤ ${LIMITS.singleRssMb} MB | ${f1(peak)} MB | ${verdict(peak <= LIMITS.singleRssMb)} |`,
        );
    }
    if (fleet.isolation) {
        lines.push(
            `| ${fleet.isolation.stacks} stacks at once: no stack's errors or state leak into another's | ${fleet.isolation.findings.length} checks | ${verdict(fleet.isolation.ok)} |`,
        );
    }

    lines.push(
        "",
        "### Every command",
        "",
        "| users × folders | face | command | wall s | × no-op | limit s | × limit | requests | per user | peak provider RSS MB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const r of fleet.results) {
        const noop = r.face === "noop" ? undefined : find("noop", r.users, r.folders, r.command);
        const operation = r.command === "up" ? "create" : r.command === "destroy" ? "delete" : undefined;
        const b = operation ? bulk(r.users, r.folders, operation) : undefined;
        const limit =
            r.face !== "noop" && b
                ? r.users === 1
                    ? b.seconds
                    : noop
                      ? noop.seconds + b.seconds
                      : undefined
                : r.users === 1 && r.command === "renames"
                  ? bulk(1, r.folders, "rename")?.seconds
                  : undefined;
        lines.push(
            `| ${r.users} × ${r.folders / r.users} | ${FACES[r.face]} | ${r.command} | ${f1(r.seconds)} | ${noop ? f2(r.seconds / noop.seconds) : "-"} | ${limit === undefined ? "-" : f1(limit)} | ${limit === undefined ? "-" : f2(r.seconds / limit)} | ${r.requests} | ${f2(r.requests / r.users)} | ${f1(r.peakRssMb)} |`,
        );
    }
    lines.push(
        "",
        "The server's bulk time (for one user's many folders, requests of at most 100 folders, or 200 with the array form, one after another):",
        "",
        "| users × folders | operation | s | requests | ms per folder (per user: look, add one) |",
        "|---|---|---:|---:|---:|",
        ...fleet.bulk.map(
            (b: BulkResult) =>
                `| ${b.users} × ${b.folders / b.users} | ${bulkName(b.operation)} | ${f1(b.seconds)} | ${b.requests} | ${f2((1000 * b.seconds) / b.count)} |`,
        ),
    );
    if (sizes.length > 1) {
        const small = sizes[0] as number;
        const big = sizes[sizes.length - 1] as number;
        lines.push(
            "",
            `How each grows from ${small * perUser} to ${big * perUser} folders (${f2(big / small)}× the users), per folder:`,
            "",
            `| face | command | s at ${small * perUser} | s at ${big * perUser} | growth | ms per folder at ${small * perUser} | ms per folder at ${big * perUser} | requests per user at ${small * perUser} / ${big * perUser} | peak RSS MB at ${small * perUser} / ${big * perUser} |`,
            "|---|---|---:|---:|---:|---:|---:|---|---|",
        );
        for (const r of fleet.results.filter((x) => x.users === big)) {
            const s = find(r.face, small, small * perUser, r.command);
            if (!s) continue;
            lines.push(
                `| ${FACES[r.face]} | ${r.command} | ${f1(s.seconds)} | ${f1(r.seconds)} | ${f2(r.seconds / s.seconds)}× | ${f2((1000 * s.seconds) / s.folders)} | ${f2((1000 * r.seconds) / r.folders)} | ${f2(s.requests / small)} / ${f2(r.requests / big)} | ${f1(s.peakRssMb)} / ${f1(r.peakRssMb)} |`,
            );
        }
        for (const operation of ["create", "create-2", "delete"]) {
            const s = bulk(small, small * perUser, operation);
            const l = bulk(big, big * perUser, operation);
            if (!s || !l) continue;
            lines.push(
                `| server bulk | ${bulkName(operation)} | ${f1(s.seconds)} | ${f1(l.seconds)} | ${f2(l.seconds / s.seconds)}× | ${f2((1000 * s.seconds) / s.folders)} | ${f2((1000 * l.seconds) / l.folders)} | - | - |`,
            );
        }
    }
    if (unset.length > 0) {
        lines.push(
            "",
            `### Heap settings: NODE_OPTIONS=\`${fleet.nodeOptions ?? ""}\` against Node's defaults`,
            "",
            "The same commands at the same size, with and without the setting, in the same run:",
            "",
            "| users × folders | face | command | s with | s without | with ÷ without | peak RSS MB with | peak RSS MB without |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        );
        for (const r of unset) {
            const w = find(r.face, r.users, r.folders, r.command);
            if (!w) continue;
            lines.push(
                `| ${r.users} × ${r.folders / r.users} | ${FACES[r.face]} | ${r.command} | ${f1(w.seconds)} | ${f1(r.seconds)} | ${f2(w.seconds / r.seconds)} | ${f1(w.peakRssMb)} | ${f1(r.peakRssMb)} |`,
            );
        }
    }
    if (fleet.shards.length > 0) {
        lines.push(
            "",
            "### Several stacks at once (shards)",
            "",
            "Stacks run at the same time by the Automation API (each its own project folder and file backend, checkpoints on) against one server, beside one stack of all their users, in the same run:",
            "",
            "| face | stacks × users | command | wall s (first start to last end) | × one stack | each stack's s | requests | peak RSS MB (one provider) |",
            "|---|---|---|---:|---:|---|---:|---:|",
        );
        for (const r of fleet.shards) {
            const one = fleet.shards.find(
                (x) => x.face === r.face && x.stacks === 1 && x.command === r.command,
            );
            lines.push(
                `| ${FACES[r.face]} | ${r.stacks} × ${r.usersPerStack} | ${r.command} | ${f1(r.seconds)} | ${one ? f2(r.seconds / one.seconds) : "-"} | ${r.stackSeconds.map(f1).join(", ")} | ${r.requests} | ${f1(r.peakRssMb)} |`,
            );
        }
    }
    if (fleet.isolation) {
        lines.push(
            "",
            `Isolation: ${fleet.isolation.stacks} stacks of 3 users run at once, one of which declares a folder the server refuses (\`Bench/Bad.x\`: Maildir++ takes no \`.\`) for one of its users:`,
            "",
            ...fleet.isolation.findings.map((f) => `- ${f}`),
        );
    }
    lines.push("");
    return lines;
}

function bulkName(operation: string): string {
    switch (operation) {
        case "create":
            return "create + subscribe, one array-form create per request";
        case "create-2":
            return "create + subscribe, temporary name and rename per folder";
        case "rename":
            return "rename";
        case "look":
            return "the look: every folder's status and the subscriptions, one request per user";
        case "add-one":
            return "the look, then one folder's safe create + subscribe (two requests per user)";
        case "delete":
        case "delete-2":
            return "delete + unsubscribe";
        default:
            return operation;
    }
}
