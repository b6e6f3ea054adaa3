// What the tests of one `describe` block share, started before them and released after them: a
// Dovecot, a fault proxy in front of it, a scratch Pulumi project. Each helper registers the
// block's `beforeAll` and `afterAll` and returns a stand-in that forwards to the started object, so
// `const sandbox = dovecotForSuite({...})` replaces the `let sandbox: Sandbox`, `beforeAll(start)` and
// `afterAll(stop)` each file wrote again, and the tests use `sandbox` as before.
//
// Jest runs `beforeAll` hooks in the order they are registered, and `afterAll` hooks too: a file's
// own hooks registered after these run after them (its setup sees the started server; its own
// `afterAll` must not need a running one).
import { FaultProxy, startFaultProxy } from "./fault-proxy";
import { Sandbox, SandboxOptions, startDovecot } from "./dovecot";
import { ProjectOptions, PulumiProject } from "./pulumi";

/**
 * A stand-in for the object `current()` returns once started: reading a property reads the started
 * object's (its methods bound to it); before it is started, a clear error names `what`.
 */
export function standIn<T extends object>(what: string, current: () => T | undefined): T {
    return new Proxy({} as T, {
        get(_, property) {
            const target = current();
            if (target === undefined)
                throw new Error(`${what} is used before the describe block's beforeAll started it`);
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
        has: (_, property) => property in (current() ?? {}),
    });
}

/** A Dovecot (startDovecot with `options`) for the tests of the enclosing describe block. */
export function dovecotForSuite(options: SandboxOptions = {}): Sandbox {
    let sandbox: Sandbox | undefined;
    beforeAll(async () => {
        sandbox = await startDovecot(options);
    });
    afterAll(async () => {
        await sandbox?.stop();
    });
    return standIn("the suite's Dovecot", () => sandbox);
}

/** A fault proxy in front of `sandbox` for the tests of the enclosing describe block. */
export function proxyForSuite(sandbox: Sandbox): FaultProxy {
    let proxy: FaultProxy | undefined;
    beforeAll(async () => {
        proxy = await startFaultProxy({ target: sandbox.endpoint });
    });
    afterAll(async () => {
        await proxy?.close();
    });
    return standIn("the suite's fault proxy", () => proxy);
}

/**
 * A scratch Pulumi project named `name` on `sandbox` (PulumiProject.create, with `options`) for the
 * tests of the enclosing describe block.
 */
export function projectForSuite(
    sandbox: Sandbox,
    name: string,
    options: Omit<ProjectOptions, "name" | "server"> = {},
): PulumiProject {
    let project: PulumiProject | undefined;
    beforeAll(async () => {
        project = await PulumiProject.create({
            server: { endpoint: sandbox.endpoint, apiKey: sandbox.apiKey },
            name,
            ...options,
        });
    });
    afterAll(() => {
        project?.cleanup();
    });
    return standIn(`the suite's Pulumi project ${JSON.stringify(name)}`, () => project);
}
