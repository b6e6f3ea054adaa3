// A small fault-injecting HTTP proxy in front of a sandbox's doveadm HTTP listener, for the fault tests.
// It listens on 127.0.0.1 (a free port), forwards each request to the target and, when a rule matches
// the request's doveadm command(s), injects a fault instead:
// - `close-before`: close the connection without forwarding and without answering (the server never
//   saw the request);
// - `close-after`: forward the request, wait for Dovecot's whole answer, then close the connection
//   without passing it on (the "unknown outcome" case: the write happened, its answer was lost);
// - `exit`: answer `[["error",{"type":"exitCode","exitCode":N},"<tag>"]]` with the request's own tag,
//   without forwarding;
// - `status`: answer with an HTTP status (and an empty body, or one made from the request) without
//   forwarding;
// - `delay`: wait, then forward (the request reaches Dovecot late even when the client gave up, as
//   with a slow server) and answer if the client is still there;
// - `reply`: answer HTTP 200 with a body made from the request (an echo of its headers, say, as a
//   misconfigured proxy does, or a well-formed but empty doveadm answer), without forwarding;
// - `before`: run a hook (another writer acting on the server, say), then forward;
// - `hold`: keep the request, unanswered, until a promise the test controls settles, then forward it
//   (answering the client if it is still there) or drop it unsent: a slow server whose timing the
//   test decides by events, never by a clock;
// - `split`: forward the request's commands one per request, in order, running a hook before each
//   (another writer acting between two commands of one request, which the server allows, since it
//   runs each command on its own), and answer with their answers joined as one.
// With `tls`, it terminates TLS itself (node:https) and forwards in plain HTTP.
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { sleep } from "./waits";

// Tests that hold a request settle the hold with a deferred; it lives in waits.ts.
export { deferred } from "./waits";

/** What to do with a matching request. */
export type FaultAction =
    | { kind: "close-before" }
    | { kind: "close-after" }
    | { kind: "exit"; exitCode: number }
    | { kind: "status"; status: number; body?: (request: RequestView) => string }
    | { kind: "delay"; ms: number }
    | { kind: "reply"; body: (request: RequestView) => string; contentType?: string }
    | { kind: "before"; run: (request: RequestView) => Promise<void> }
    | { kind: "split"; between: (command: string, index: number) => Promise<void> }
    | {
          kind: "hold";
          /** Settles when the request may go on: `forward` it, or `drop` it unsent. */
          until: Promise<"forward" | "drop">;
          /** Called when the request arrives, before it is held. */
          arrived?: () => void;
          /** Called once a forwarded request has had the server's answer. */
          forwarded?: () => void;
      };

/** What a `reply` or `before` action sees of a request. */
export interface RequestView {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    /** The raw body. */
    body: string;
    /** The doveadm tags of the body's commands, in order. */
    tags: string[];
}

/** One rule: requests whose doveadm command matches get the action, at most `times` times. */
export interface FaultRule {
    /**
     * A command name (`mailboxCreate`), a pattern, `GET` for the command list (`GET /doveadm/v1`), or
     * `*` for every request (GET included).
     */
    command: string | RegExp;
    action: FaultAction;
    /** How many matching requests get the fault; default: all of them. */
    times?: number;
    /** Matching requests to let through before the fault starts; default 0. */
    skip?: number;
}

/** One request the proxy saw. */
export interface ProxiedRequest {
    method: string;
    /** The doveadm commands in the body, in order (empty for GET). */
    commands: string[];
    /** The parsed body, when it was JSON. */
    body?: unknown;
    /** The fault injected, if any. */
    fault?: FaultAction["kind"];
    /** When it arrived (ms since the epoch). */
    at: number;
}

/** A running proxy. */
export interface FaultProxy {
    /** `http://127.0.0.1:<port>` (or https with `tls`), to use as dovecot:endpoint. */
    endpoint: string;
    port: number;
    /** Every request seen, in arrival order. */
    requests: ProxiedRequest[];
    /** Replaces the rules (they apply to requests that arrive from now on). */
    setRules(rules: FaultRule[]): void;
    /** How many requests carried the command (`*` counts every request). */
    count(command: string): number;
    /** Forgets the requests seen so far. */
    reset(): void;
    /**
     * Settles once no request is on its way to the server or back: every command forwarded so far
     * has run to its end there (held requests not yet forwarded are not counted).
     */
    idle(): Promise<void>;
    /** Stops listening and closes every open connection. */
    close(): Promise<void>;
}

/** Options of a proxy. */
export interface FaultProxyOptions {
    /** The target, `http://127.0.0.1:<port>` (the sandbox's endpoint). */
    target: string;
    rules?: FaultRule[];
    /** Terminate TLS with this key and certificate (PEM). */
    tls?: { key: string; cert: string };
    /** The port to listen on (a closed proxy's, to stand in for a server started again); default: a free one. */
    port?: number;
}

interface LiveRule extends FaultRule {
    seen: number;
    applied: number;
}

function matches(rule: FaultRule, commands: string[], method: string): boolean {
    if (rule.command === "*") return true;
    if (rule.command === "GET") return method === "GET";
    return commands.some((c) =>
        typeof rule.command === "string" ? c === rule.command : rule.command.test(c),
    );
}

/** Starts a proxy in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
    const target = new URL(options.target);
    let rules: LiveRule[] = [];
    const requests: ProxiedRequest[] = [];
    const sockets = new Set<Socket>();
    const setRules = (next: FaultRule[]) => {
        rules = next.map((r) => ({ ...r, seen: 0, applied: 0 }));
    };
    setRules(options.rules ?? []);

    let forwarding = 0;
    let idle: Array<() => void> = [];
    const forward = async (
        method: string,
        path: string,
        headers: http.IncomingHttpHeaders,
        body: Buffer,
    ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> => {
        forwarding++;
        try {
            return await send(method, path, headers, body);
        } finally {
            forwarding--;
            if (forwarding === 0) {
                for (const resolve of idle) resolve();
                idle = [];
            }
        }
    };
    const send = (
        method: string,
        path: string,
        headers: http.IncomingHttpHeaders,
        body: Buffer,
    ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
        new Promise((resolve, reject) => {
            const upstream = http.request(
                {
                    host: target.hostname,
                    port: target.port,
                    method,
                    path,
                    headers: { ...headers, host: target.host, "content-length": String(body.length) },
                    timeout: 60_000,
                },
                (response) => {
                    const chunks: Buffer[] = [];
                    response.on("data", (chunk: Buffer) => chunks.push(chunk));
                    response.on("end", () =>
                        resolve({
                            status: response.statusCode ?? 502,
                            headers: response.headers,
                            body: Buffer.concat(chunks),
                        }),
                    );
                    response.on("error", reject);
                },
            );
            upstream.on("timeout", () => upstream.destroy(new Error("upstream timeout")));
            upstream.on("error", reject);
            upstream.end(body);
        });

    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            void (async () => {
                const body = Buffer.concat(chunks);
                let parsed: unknown;
                let commands: string[] = [];
                try {
                    parsed = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
                    if (Array.isArray(parsed))
                        commands = parsed.map((entry) => (Array.isArray(entry) ? String(entry[0]) : "?"));
                } catch {
                    parsed = undefined;
                }
                const record: ProxiedRequest = {
                    method: req.method ?? "GET",
                    commands,
                    body: parsed,
                    at: Date.now(),
                };
                requests.push(record);
                let action: FaultAction | undefined;
                for (const rule of rules) {
                    if (!matches(rule, commands, req.method ?? "GET")) continue;
                    rule.seen++;
                    if (rule.seen <= (rule.skip ?? 0)) continue;
                    if (rule.applied >= (rule.times ?? Infinity)) continue;
                    rule.applied++;
                    action = rule.action;
                    break;
                }
                record.fault = action?.kind;
                const tags = Array.isArray(parsed)
                    ? parsed.map((entry) => (Array.isArray(entry) ? String(entry[2] ?? "") : ""))
                    : [];
                const view = (): RequestView => ({
                    method: req.method ?? "GET",
                    url: req.url ?? "/",
                    headers: req.headers,
                    body: body.toString("utf8"),
                    tags,
                });
                const pass = async () => {
                    try {
                        const answer = await forward(req.method ?? "GET", req.url ?? "/", req.headers, body);
                        if (action?.kind === "close-after") {
                            req.socket.destroy();
                            return;
                        }
                        if (res.destroyed || req.socket.destroyed) return;
                        const type = answer.headers["content-type"];
                        res.writeHead(answer.status, {
                            ...(type ? { "content-type": type } : {}),
                            connection: "close",
                        });
                        res.end(answer.body);
                    } catch {
                        // The server is down or died: the client sees a closed connection.
                        req.socket.destroy();
                    }
                };
                switch (action?.kind) {
                    case undefined:
                    case "close-after":
                        return pass();
                    case "close-before":
                        req.socket.destroy();
                        return;
                    case "exit":
                        res.writeHead(200, { "content-type": "application/json", connection: "close" });
                        res.end(
                            JSON.stringify(
                                tags.map((tag) => [
                                    "error",
                                    { type: "exitCode", exitCode: action.exitCode },
                                    tag,
                                ]),
                            ),
                        );
                        return;
                    case "status":
                        res.writeHead(action.status, { connection: "close" });
                        res.end(action.body?.(view()) ?? "");
                        return;
                    case "delay":
                        await sleep(action.ms);
                        return pass();
                    case "hold": {
                        action.arrived?.();
                        const decision = await action.until;
                        if (decision === "drop") {
                            req.socket.destroy();
                            return;
                        }
                        await pass();
                        action.forwarded?.();
                        return;
                    }
                    case "split": {
                        const entries = Array.isArray(parsed) ? (parsed as unknown[]) : [];
                        const answers: unknown[] = [];
                        try {
                            for (const [index, entry] of entries.entries()) {
                                await action.between(commands[index] ?? "?", index);
                                const one = Buffer.from(JSON.stringify([entry]));
                                const answer = await forward("POST", req.url ?? "/", req.headers, one);
                                if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
                                answers.push(...(JSON.parse(answer.body.toString("utf8")) as unknown[]));
                            }
                        } catch {
                            req.socket.destroy();
                            return;
                        }
                        res.writeHead(200, { "content-type": "application/json", connection: "close" });
                        res.end(JSON.stringify(answers));
                        return;
                    }
                    case "reply":
                    case "before": {
                        if (action.kind === "before") {
                            await action.run(view());
                            return pass();
                        }
                        res.writeHead(200, {
                            "content-type": action.contentType ?? "application/json",
                            connection: "close",
                        });
                        res.end(action.body(view()));
                        return;
                    }
                }
            })();
        });
    };

    const server = options.tls
        ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler)
        : http.createServer(handler);
    server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    // TLS handshakes that fail (a client that rejects the certificate) are not errors of the proxy.
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
        });
    });
    const port = (server.address() as AddressInfo).port;
    return {
        endpoint: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
        port,
        requests,
        setRules,
        count: (command) => requests.filter((r) => command === "*" || r.commands.includes(command)).length,
        reset: () => {
            requests.length = 0;
        },
        idle: () =>
            forwarding === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)),
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}
