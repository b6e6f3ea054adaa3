// Raw requests to a server's doveadm HTTP API, for the tests that record what Dovecot itself answers
// (the *-harness tests): no client of this package in between, the body sent exactly as given, and the
// answer kept whole (status, text, the headers tests look at), or, when the connection ended without
// one, the error. Nothing here throws on an answer: what came back is the thing under test.

/** A server to send to: its doveadm HTTP endpoint and API key (a Sandbox will do). */
export interface DoveadmServer {
    /** `http://127.0.0.1:<port>`, without the /doveadm/v1 path. */
    endpoint: string;
    apiKey: string;
}

/** The tag every command sent here carries, and so every answer row. */
export const TAG = "t1";

/** What came back for a request: an HTTP answer, or `closed` when the connection ended without one. */
export type Answer =
    | { closed: false; status: number; text: string; contentType: string; date: string }
    | {
          closed: true;
          /** The socket error's message ("other side closed", say). */
          error: string;
          /** The socket error's code (`UND_ERR_SOCKET`, say), "" when it has none. */
          code: string;
      };

/** Options of one request. */
export interface RequestOptions {
    /** The API key to send instead of the server's. */
    key?: string;
    /** Give up (an answer `closed` with the abort's message) after this long; default 15 s. */
    timeoutMs?: number;
}

/** The Authorization header for an API key. */
export function authorization(apiKey: string): string {
    return `X-Dovecot-API ${Buffer.from(apiKey).toString("base64")}`;
}

/** POSTs `body` as it is to /doveadm/v1; never throws. */
export async function post(
    server: DoveadmServer,
    body: string | Buffer,
    options: RequestOptions = {},
): Promise<Answer> {
    try {
        const response = await fetch(`${server.endpoint}/doveadm/v1`, {
            method: "POST",
            headers: {
                "Content-Type": "application/json",
                Authorization: authorization(options.key ?? server.apiKey),
            },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
        return {
            closed: false,
            status: response.status,
            text: await response.text(),
            contentType: response.headers.get("content-type") ?? "",
            date: response.headers.get("date") ?? "",
        };
    } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return { closed: true, error: cause?.message ?? String(error), code: cause?.code ?? "" };
    }
}

/** Sends one command, tagged TAG; never throws. */
export function send(
    server: DoveadmServer,
    command: string,
    params: object,
    options: RequestOptions = {},
): Promise<Answer> {
    return post(server, JSON.stringify([[command, params, TAG]]), options);
}

/** One command of `GET /doveadm/v1`, with its parameters. */
export interface CommandInfo {
    command: string;
    parameters: Array<{ name: string; type: string }>;
}

/** The commands the server offers (`GET /doveadm/v1`); rejects when it does not answer with them. */
export async function commandList(server: DoveadmServer): Promise<CommandInfo[]> {
    const response = await fetch(`${server.endpoint}/doveadm/v1`, {
        headers: { Authorization: authorization(server.apiKey) },
        signal: AbortSignal.timeout(15_000),
    });
    return (await response.json()) as CommandInfo[];
}

/**
 * An answer with its body parsed ("" stays ""), the headers left out: 2.3 writes
 * `{"type":"exitCode", "exitCode":65}` (with a space) and 2.4 without, so tests compare parsed bodies.
 */
export type Reply = { closed: false; status: number; body: unknown } | { closed: true; error: string };

/** The Reply of an answer; a body that is not JSON throws. */
export function reply(answer: Answer): Reply {
    if (answer.closed) return { closed: true, error: answer.error };
    return { closed: false, status: answer.status, body: answer.text === "" ? "" : JSON.parse(answer.text) };
}

/** The body of a success with these result rows. */
export function responseBody(rows: unknown[] = []): unknown {
    return [["doveadmResponse", rows, TAG]];
}

/** The body of a command that failed with this exit code. */
export function exitCodeBody(exitCode: number): unknown {
    return [["error", { type: "exitCode", exitCode }, TAG]];
}

/** What one command came to: its result rows, its failure, an HTTP error, or no answer at all. */
export type Outcome =
    { ok: unknown[] } | { error: unknown } | { http: number; text: string } | { closed: true };

/** The Outcome of the answer to one command; a 200 whose body is not JSON throws. */
export function outcome(answer: Answer): Outcome {
    if (answer.closed) return { closed: true };
    if (answer.status !== 200) return { http: answer.status, text: answer.text };
    const [[kind, payload]] = JSON.parse(answer.text) as [[string, unknown, string]];
    return kind === "doveadmResponse" ? { ok: payload as unknown[] } : { error: payload };
}

/** Sends one command and reduces the answer to its Outcome. */
export async function call(
    server: DoveadmServer,
    command: string,
    params: object,
    options: RequestOptions = {},
): Promise<Outcome> {
    return outcome(await send(server, command, params, options));
}

/** The Outcome of a success with these rows. */
export function ok(rows: unknown[] = []): Outcome {
    return { ok: rows };
}

/** The Outcome of a failure with this exit code. */
export function exit(exitCode: number): Outcome {
    return { error: { type: "exitCode", exitCode } };
}
