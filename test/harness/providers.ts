// Calls the provider methods the way Pulumi's provider host does (through the dispatcher), for the
// provider-level tests.
import { resetEndpointState } from "../../provider/client/client";
import { ResourceKind, dispatch } from "../../provider/dispatcher";

/** Provider results are checked field by field, so they are left untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** Calls `method` of the provider of `kind`. */
export function call(kind: ResourceKind, method: string, ...args: unknown[]): Promise<Loose> {
    return dispatch(kind, method, args) as Promise<Loose>;
}

/** The methods of one kind's provider: `const mailbox = providerOf("mailbox"); await mailbox("create", inputs)`. */
export function providerOf(kind: ResourceKind): (method: string, ...args: unknown[]) => Promise<Loose> {
    return (method, ...args) => call(kind, method, ...args);
}

/** Forgets every client and configures the providers with these stack settings. */
export async function configure(config: Record<string, string>): Promise<void> {
    resetEndpointState();
    await dispatch("mailbox", "configure", [{ config: { get: (key: string) => config[key] } }]);
}

/**
 * Configures the providers for one server (a sandbox, or a proxy's endpoint with the sandbox's API
 * key), with `more` stack settings.
 */
export async function configureFor(
    server: { endpoint: string; apiKey: string },
    more: Record<string, string> = {},
): Promise<void> {
    await configure({ "dovecot:endpoint": server.endpoint, "dovecot:apiKey": server.apiKey, ...more });
}

/** check() then create(), failing the test if check() refuses the inputs. */
export async function checkAndCreate(kind: ResourceKind, news: Record<string, unknown>): Promise<Loose> {
    const { inputs, failures } = await call(kind, "check", {}, news);
    if (failures) throw new Error(`check refused ${JSON.stringify(news)}: ${JSON.stringify(failures)}`);
    return call(kind, "create", inputs);
}

/** The error a call fails with (any error), or undefined when it succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<Loose> {
    return promise.then(
        () => undefined,
        (error: unknown) => error,
    );
}
