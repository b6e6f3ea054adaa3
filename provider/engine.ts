// The engine run this provider process serves. The engine starts every provider process of one run
// (the dynamic provider host, and one `dovecot` plugin process per provider instance) with the address
// of its own gRPC service as the first argument; a preview and the update after it are two runs with
// two addresses. That address tells apart the runs that claims.ts keeps apart, and it is where the
// provider sends what it has to say (the engine's Log service): the CLI shows warnings and info
// messages, and debug messages with `--debug`. Nothing logged here may hold a credential.
import type * as grpc from "@grpc/grpc-js";
import { AsyncLocalStorage } from "node:async_hooks";

/** How important a message is; the CLI shows `debug` only when run with `--debug`. */
export type Severity = "debug" | "info" | "warning" | "error";

let address: string | undefined | null = null;
let client:
    { log: (request: unknown, callback: (error: grpc.ServiceError | null) => void) => void } | undefined;

/** What a process argument naming the engine looks like: `host:port`. */
const ENGINE_ADDRESS = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/** Records the engine's address (the plugin's entry point passes its first argument). */
export function setEngineAddress(value: string | undefined): void {
    address = value !== undefined && ENGINE_ADDRESS.test(value) ? value : undefined;
    client = undefined;
}

/**
 * The address of the engine run this process serves; undefined outside a provider process (a
 * program's lookups, the tests that call the handlers in-process).
 */
export function engineAddress(): string | undefined {
    if (address === null) {
        // The dynamic provider host (`@pulumi/pulumi/cmd/dynamic-provider`) is started with the address.
        // (With `-v`, logging flags come before it.)
        const script = process.argv[1] ?? "";
        address = /dynamic-provider/.test(script)
            ? process.argv.slice(2).find((arg) => ENGINE_ADDRESS.test(arg))
            : undefined;
    }
    return address;
}

function engineClient() {
    const target = engineAddress();
    if (target === undefined) return undefined;
    if (!client) {
        // Loaded only in a provider process: a program's lookups never reach here.
        const grpcJs = require("@grpc/grpc-js") as typeof grpc;
        const services = require("@pulumi/pulumi/proto/engine_grpc_pb") as {
            EngineClient: new (address: string, credentials: grpc.ChannelCredentials) => typeof client;
        };
        client = new services.EngineClient(target, grpcJs.credentials.createInsecure());
    }
    return client;
}

/**
 * The verbosity the engine runs with, when it passes it on (`pulumi up -v=<n> --logflow` starts its
 * provider processes with `-v=<n>`); 0 outside a provider process. (`--debug`, which shows debug
 * messages, is not passed on: a provider cannot tell whether they are shown.)
 */
export function verbosity(): number {
    if (level === undefined) {
        const flag =
            engineAddress() === undefined
                ? undefined
                : process.argv
                      .slice(2)
                      .map((arg) => /^--?v=(\d+)$/.exec(arg)?.[1])
                      .find((value) => value !== undefined);
        level = flag === undefined ? 0 : Number(flag);
    }
    return level;
}

let level: number | undefined;

/** Sets the verbosity (tests that run the handlers in-process); undefined: read it from the arguments again. */
export function setVerbosity(value: number | undefined): void {
    level = value;
}

/** The resource whose engine call is running, where the protocol names it (see `forResource`). */
const resource = new AsyncLocalStorage<string>();

/**
 * Runs `work` as part of the engine's call about the resource `urn` (the plugin's requests name it;
 * the dynamic provider's do not): `currentResource()` is that URN in everything `work` does.
 */
export function forResource<T>(urn: string, work: () => T): T {
    return resource.run(urn, work);
}

/** The URN of the resource whose engine call is running, or "" (the stack) when none is known. */
export function currentResource(): string {
    return resource.getStore() ?? "";
}

/** Who else hears what is logged (tests that run the handlers in-process). */
const listeners = new Set<(severity: Severity, message: string, urn: string) => void>();

/** Adds a listener of every message logged in this process; returns what removes it. */
export function onLog(listener: (severity: Severity, message: string, urn: string) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
}

/**
 * Whether anything logged is heard: in a provider process (the engine), or by a listener. Outside
 * them (a program's lookups) there is nobody to tell, and nothing need be composed.
 */
export function heard(): boolean {
    return listeners.size > 0 || engineAddress() !== undefined;
}

const SEVERITIES: Record<Severity, number> = { debug: 0, info: 1, warning: 2, error: 3 };

/**
 * Sends `message` to the engine, attached to the resource `urn` when known (else to the stack). Never
 * fails: a message that cannot be delivered is dropped (outside a provider process there is no engine).
 */
export function log(severity: Severity, message: string, urn = ""): Promise<void> {
    for (const listener of listeners) listener(severity, message, urn);
    const engine = engineClient();
    if (!engine) return Promise.resolve();
    const messages = require("@pulumi/pulumi/proto/engine_pb") as {
        LogRequest: new () => {
            setSeverity(value: number): unknown;
            setMessage(value: string): unknown;
            setUrn(value: string): unknown;
        };
    };
    const request = new messages.LogRequest();
    request.setSeverity(SEVERITIES[severity]);
    request.setMessage(message);
    request.setUrn(urn);
    return new Promise((resolve) => engine.log(request, () => resolve()));
}
