// The bottom layer: sends one doveadm request and turns its answer into a result or a typed error.
// Around each request it applies, as data it is given, everything that is about requests rather
// than about mailboxes: the credential, TLS, the per-endpoint concurrency limit, the stop after a
// fatal failure, retries, and for a write whose answer was lost the reads that tell whether it took
// effect (so it is never sent twice blindly). The server closes every connection after one answer,
// so there is nothing to pool. Credentials live only in the prebuilt Authorization header, and
// server text quoted in an error has every form of them removed first.
import { createHash } from "node:crypto";
import { Agent, request as httpRequest } from "undici";
import { z } from "zod";
import {
    DoveadmCommandNotAllowedError,
    DoveadmConfigError,
    DoveadmError,
    DoveadmNotFoundError,
    DoveadmProtocolError,
    DoveadmTemporaryError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    DoveadmUsageError,
    ErrorContext,
    errorForExitCode,
    errorForHttpStatus,
} from "./errors";
import { EventSource, tell } from "./events";
import { Semaphore } from "./limiter";
import { redact, withoutCredentials } from "./redact";
import { DEFAULT_RETRY_POLICY, RetryPolicy, withRetry } from "./retry";

/** One row of a doveadm answer: all values are strings on the wire. */
export type ResponseRow = Record<string, string>;

/**
 * The answer of a command that answers one object instead of rows (`user`: `{"userList": [...]}`, or
 * one entry per user looked up). Its values are whatever the server sent, for the command to check.
 */
export type ResponseObject = Readonly<Record<string, unknown>>;

/** What one command's answer holds: rows, or one object (see Request.parseObject). */
type ResponseBody = ResponseRow[] | ResponseObject;

/** A command the server offers, from `GET /doveadm/v1`. */
export interface CommandInfo {
    /** The command name, for example `mailboxCreate`. */
    command: string;
    /** Its parameters with their wire types. */
    parameters: Array<{
        /** The parameter's name, for example `mailbox`. */
        name: string;
        /** Its wire type: `string`, `boolean`, `integer`, `array`. */
        type: string;
    }>;
}

/** One doveadm command to send, and how to read and retry it. */
export interface Request<T> {
    /** The command, for example `mailboxCreate`. */
    command: string;
    /** Its parameters as sent (never a `false` or `null`: see commands.ts). */
    params: Record<string, unknown>;
    /** What the request is about, for error messages. */
    context: ErrorContext;
    /** True when the command changes the server; a write whose answer was lost is verified before it is sent again. */
    write: boolean;
    /** True when sending it twice is harmless (reads, subscribe, reload), so a lost answer is simply retried. */
    repeatable: boolean;
    /** Turns the answer's rows into the result. */
    parse: (rows: ResponseRow[]) => T;
    /**
     * For a command that answers one object instead of rows (`user`): turns that object into the
     * result. Such a command's rows, if it ever answered rows, still go to `parse`.
     */
    parseObject?: (body: ResponseObject) => T;
    /**
     * The answer may hold secrets of others than the credential (a user database's fields, which may
     * include a password hash): it is never quoted in an error, not even redacted.
     */
    sensitive?: boolean;
    /** The result when the server answers exit 68 (not found), instead of failing. */
    absent?: { value: T };
    /** For a write: reads that each say whether the write took effect; all true means it did. */
    verify?: ReadonlyArray<Request<boolean>>;
    /**
     * For a write with `verify`: the result when its answer was lost and the reads found it done,
     * when that must be told apart from an answered success (the default is `parse([])`).
     */
    recovered?: () => T;
    /**
     * In a request of several commands, a write whose failure the server answered (exit 75) is not sent
     * again on its own (see Transport.runMany) but returned as it came: a create that the server cut off
     * may have left its mailbox half made, and the commands after it (a rename) have run meanwhile.
     * A request that got no answer is still verified and sent again, in order, as for any write.
     */
    step?: boolean;
}

/** Observers of the transport, for counting requests in benchmarks and tests. */
export interface TransportHooks {
    /** Called before every HTTP request with its command (two commands in one request: `a+b`). */
    onRequest?: (command: string) => void;
    /** Called before every retry. */
    onRetry?: (error: DoveadmError, attempt: number, delayMs: number) => void;
}

/** How to reach and authenticate to one doveadm HTTP API. */
export interface TransportOptions {
    /** The API URL, ending in /doveadm/v1. */
    url: string;
    /** The value of the Authorization header. */
    authorization: string;
    /** How long one request may take, in milliseconds. */
    timeoutMs: number;
    /** PEM of the CA that signed an https endpoint's certificate. */
    caCert?: string;
    /** Accept any certificate (explicit opt-in only). */
    insecureSkipVerify?: boolean;
    /** Requests in flight at once to this endpoint and credential, across every transport of the process. Default 4. */
    maxConcurrency?: number;
    /** Every form of the credential (see redact.ts), removed from server text quoted in errors. */
    credentialForms?: readonly string[];
    /** How often and how long to retry. */
    retry?: RetryPolicy;
    /** Observers. */
    hooks?: TransportHooks;
}

const rowSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]).transform(String));
const answerSchema = z.array(
    z.union([
        z.tuple([
            z.literal("doveadmResponse"),
            z.union([z.array(rowSchema), z.record(z.string(), z.unknown())]),
            z.string(),
        ]),
        z.tuple([
            z.literal("error"),
            z.object({ type: z.string(), exitCode: z.number().optional() }).loose(),
            z.string(),
        ]),
    ]),
);
const commandListSchema = z.array(
    z.object({
        command: z.string(),
        parameters: z.array(z.object({ name: z.string(), type: z.string() })),
    }),
);

/** Requests waiting to be joined into one HTTP request (see Transport.joined). */
interface Submission {
    requests: ReadonlyArray<Request<unknown>>;
    context: ErrorContext;
    resolve: (answers: Array<ResponseBody | DoveadmError>) => void;
    reject: (error: unknown) => void;
    /** About how many bytes its commands take in a request body. */
    bytes: number;
}

/**
 * The most commands joined into one HTTP request: the server runs them one after another, so a longer
 * request holds a slot longer and risks the timeout; a few hundred take well under a second.
 */
export const MAX_JOINED_COMMANDS = 300;

/**
 * The most bytes of commands joined into one request: Dovecot 2.3 refuses bodies over 1 MiB (HTTP
 * 413). A single larger request goes alone, and is refused for its own size.
 */
export const MAX_JOINED_BYTES = 256 * 1024;

/** Error codes of the connection layer that mean the request never reached the server. */
const NOT_DELIVERED = new Set([
    "ECONNREFUSED",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EADDRNOTAVAIL",
    "UND_ERR_CONNECT_TIMEOUT",
]);
/** OpenSSL's codes for a peer that answered a TLS hello with something that is not TLS. */
const NOT_TLS = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|UNKNOWN_PROTOCOL|RECORD_LAYER/;
/** Error codes that mean the certificate could not be verified. */
const TLS_FAILURES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/;

function errorCode(error: unknown): string {
    let current: unknown = error;
    for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
        const code = (current as { code?: unknown }).code;
        if (typeof code === "string" && code !== "UND_ERR") return code;
        current = (current as { cause?: unknown }).cause;
    }
    return (error as { name?: string })?.name ?? "unknown";
}

function errorText(error: unknown): string {
    const parts: string[] = [];
    let current: unknown = error;
    for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
        parts.push(current.message);
        current = current.cause;
    }
    return parts.join(" ");
}

/** `mailboxCreate` as `doveadm_allowed_commands` spells it: `mailbox create`. */
export function commandLineName(command: string): string {
    return command.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

/** What every transport of one endpoint and credential shares in this process. */
interface EndpointGate {
    slots: Semaphore;
    /** The first authentication or configuration failure; later requests fail with it unsent. */
    fatal?: DoveadmError;
    /** Commands the server refused to run (not allowed, unknown); they fail again unsent. */
    refused: Map<string, DoveadmError>;
}

const gates = new Map<string, EndpointGate>();

/** Forgets every endpoint's limits and remembered failures (for tests that fix a server and go on). */
export function resetGates(): void {
    gates.clear();
}

let tagCounter = 0;

/** Sends doveadm requests to one endpoint. */
export class Transport implements EventSource {
    private readonly agent: Agent;
    private readonly gate: EndpointGate;
    private readonly policy: RetryPolicy;
    private readonly hooks: TransportHooks;

    constructor(private readonly options: TransportOptions) {
        this.agent = new Agent({
            connect: {
                ca: options.caCert,
                rejectUnauthorized: !options.insecureSkipVerify,
                timeout: Math.min(options.timeoutMs, 10_000),
            },
            // No `pipelining: 0` here: it makes undici send `Connection: close`, and Dovecot 2.3 then
            // never sends its 401 answer (seen live). The server closes each connection anyway.
        });
        // Keyed by a hash of the credential: the key need not hold the credential itself.
        const key = `${options.url}#${createHash("sha256").update(options.authorization).digest("hex")}`;
        let gate = gates.get(key);
        if (!gate) {
            gate = { slots: new Semaphore(options.maxConcurrency ?? 4), refused: new Map() };
            gates.set(key, gate);
        }
        this.gate = gate;
        this.policy = options.retry ?? DEFAULT_RETRY_POLICY;
        this.hooks = options.hooks ?? {};
    }

    /** How often and how long to retry, for retries made above this layer (see Scheduler.runCreates). */
    get retryPolicy(): RetryPolicy {
        return this.policy;
    }

    /** Tells the observers of a retry (made here, or above this layer). */
    retrying(error: DoveadmError, attempt: number, delayMs: number): void {
        this.hooks.onRetry?.(error, attempt, delayMs);
        tell("retry", this, () => ({ error, attempt, attempts: this.policy.maxAttempts, delayMs }));
    }

    /** `text` with every form of the credential removed, for messages about this endpoint's requests. */
    clean(text: string): string {
        return withoutCredentials(text, this.options.credentialForms ?? []);
    }

    /** The endpoint's origin, safe to show. */
    get origin(): string {
        return new URL(this.options.url).origin;
    }

    /** The endpoint's full URL, safe to show (the settings refuse credentials in it). */
    get url(): string {
        return this.options.url;
    }

    /** Sends `request`, retrying and verifying as it says; returns its parsed result or throws. */
    run<T>(request: Request<T>, firstError?: DoveadmError): Promise<T> {
        const verify = request.verify;
        return withRetry<T>(() => this.once(request), {
            idempotent: request.repeatable,
            recover: verify
                ? async (lost: DoveadmError) => {
                      try {
                          for (const check of verify)
                              if (!(await this.run(check))) return { done: false as const };
                      } catch (error) {
                          if (!(error instanceof DoveadmError) || error.fatal) throw error;
                          // What matters is still the write's unknown outcome, not the read's failure.
                          throw new DoveadmUnknownOutcomeError(
                              lost.code,
                              request.context,
                              `${lost.reason}, and reading the server back to learn whether it did failed too (${error.reason})`,
                              // A server that went away is the thing to fix first.
                              error instanceof DoveadmUnreachableError
                                  ? `${error.hint} Then run again: pulumi-dovecot re-reads the server's state before repeating a change.`
                                  : lost.hint,
                              { cause: error },
                          );
                      }
                      return {
                          done: true as const,
                          value: request.recovered ? request.recovered() : request.parse([]),
                      };
                  }
                : undefined,
            onRetry: (error, attempt, delayMs) => this.retrying(error, attempt, delayMs),
            policy: this.policy,
            firstError,
        });
    }

    /**
     * Sends several commands, writes among them, in one request, and returns each one's result or
     * error, in order. Dovecot runs the commands of one request one after another, in the order given,
     * and answers each on its own, so one refused command fails alone. When the request as a whole
     * fails (no answer, a temporary failure) nothing is known of any command: each write is then sent
     * again on its own through `run`, one whose outcome is unknown only after its verify reads found
     * it not done, and a write refused as temporary (exit 75) is retried the same way. A read that
     * failed is returned as its error, for the caller to ask again if it needs to. `context.command`
     * names the request (`mailboxCreate+mailboxStatus`) for hooks and whole-request errors.
     */
    async runMany(requests: ReadonlyArray<Request<unknown>>, context: ErrorContext): Promise<Array<unknown>> {
        let answers: Array<ResponseBody | DoveadmError>;
        try {
            answers = await this.joined(requests, context);
        } catch (error) {
            if (!(error instanceof DoveadmError) || error.fatal) throw error;
            if (requests.length > 1)
                tell("split", this, () => ({ error, way: "writes", commands: requests.length }));
            answers = requests.map(() => error);
        }
        const results: unknown[] = [];
        for (const [i, request] of requests.entries()) {
            const result = settle(request, answers[i]);
            // A read that failed is the caller's to ask again (or not); a write is finished here.
            const again =
                request.write &&
                result instanceof DoveadmError &&
                !result.fatal &&
                ((result.retryable && !(request.step && result instanceof DoveadmTemporaryError)) ||
                    result instanceof DoveadmUnknownOutcomeError);
            results.push(again ? await this.alone(request, result) : result);
        }
        return results;
    }

    /**
     * One command of a multi-command request that failed (as a whole, or this command as temporary),
     * settled on its own: that failure counts as its first attempt, so a write whose outcome is
     * unknown is verified before it is sent again, and retries stop at the policy's limit.
     */
    private async alone(request: Request<unknown>, failure: DoveadmError): Promise<unknown> {
        try {
            return await this.run(request, failure.withContext(request.context));
        } catch (error) {
            if (error instanceof DoveadmError && !error.fatal) return error;
            throw error;
        }
    }

    /** Lists the commands the server offers (`GET /doveadm/v1`); also a cheap check that it answers. */
    async commands(): Promise<CommandInfo[]> {
        const context = { command: "GET /doveadm/v1" };
        const text = await this.guarded(context, () => {
            this.hooks.onRequest?.("GET");
            tell("request", this, () => ({ label: context.command, commands: 0, users: [] }));
            return this.exchange("GET", undefined, context, false);
        });
        try {
            return commandListSchema.parse(JSON.parse(text));
        } catch {
            throw new DoveadmProtocolError(
                "DOVEADM_BAD_RESPONSE",
                context,
                "the server's command list is not in the doveadm format",
                `Check that dovecot:endpoint (${this.url}) points at the doveadm HTTP listener.`,
            );
        }
    }

    /** Closes the connection pool. */
    async close(): Promise<void> {
        await this.agent.close();
    }

    /** One attempt of one request. */
    private async once<T>(request: Request<T>): Promise<T> {
        const [result] = await this.joined([request], { ...request.context, command: request.command });
        const settled = settle(request, result);
        if (settled instanceof DoveadmError) throw settled;
        return settled;
    }

    /** Requests waiting for a slot of the endpoint, to go out joined in one HTTP request. */
    private readonly waiting: Submission[] = [];

    /**
     * Sends `requests` in one HTTP request with whatever else waits for a slot of this endpoint then:
     * the commands of many users' turns go out together (each user's in its own order, one user's turn
     * never twice at once), and the server runs them one after another, each on its own, so a failure
     * is still pinned on exactly its command. Returns each request's answer, in order; a failure of the
     * HTTP request as a whole (no answer, a refused credential) is each submitter's failure, in its own
     * context. A stop after a fatal failure applies to every submission, as `guarded` does.
     */
    private joined(
        requests: ReadonlyArray<Request<unknown>>,
        context: ErrorContext,
    ): Promise<Array<ResponseBody | DoveadmError>> {
        return new Promise((resolve, reject) => {
            const known = this.stoppedBy(context.command, requests);
            if (known) {
                reject(known.withContext(context));
                return;
            }
            const bytes = requests.reduce((sum, r) => sum + JSON.stringify(r.params).length + 64, 0);
            this.waiting.push({ requests, context, resolve, reject, bytes });
            // Whoever gets a slot first sends everything waiting by then; later holders find less.
            void this.gate.slots.run(() => this.sendWaiting());
        });
    }

    /** The remembered failure that stops a request of `command` (and its parts) unsent, if any. */
    private stoppedBy(command: string, requests: ReadonlyArray<Request<unknown>>): DoveadmError | undefined {
        return (
            this.gate.fatal ??
            this.gate.refused.get(command) ??
            requests.map((r) => this.gate.refused.get(r.command)).find((e) => e !== undefined)
        );
    }

    /** Sends what waits, joined, within the limits of one request; settles each submission. */
    private async sendWaiting(): Promise<void> {
        const batch: Submission[] = [];
        let commands = 0;
        let bytes = 0;
        while (this.waiting.length > 0) {
            const next = this.waiting[0] as Submission;
            const fits =
                batch.length === 0 ||
                (commands + next.requests.length <= MAX_JOINED_COMMANDS &&
                    bytes + next.bytes <= MAX_JOINED_BYTES);
            if (!fits) break;
            this.waiting.shift();
            // Learned while it waited: every request is bound to fail the same way.
            const known = this.stoppedBy(next.context.command, next.requests);
            if (known) {
                next.reject(known.withContext(next.context));
                continue;
            }
            batch.push(next);
            commands += next.requests.length;
            bytes += next.bytes;
        }
        if (batch.length === 0) return;
        const all = batch.flatMap((s) => s.requests);
        const label = [...new Set(batch.map((s) => s.context.command))].join("+");
        const context = batch.length === 1 ? (batch[0] as Submission).context : { command: label };
        try {
            const answers = await this.exchangeCommands(all, context, label);
            let at = 0;
            for (const submission of batch) {
                submission.resolve(answers.slice(at, at + submission.requests.length));
                at += submission.requests.length;
            }
        } catch (error) {
            if (error instanceof DoveadmCommandNotAllowedError) this.gate.refused.set(label, error);
            else if (error instanceof DoveadmError && error.fatal) this.gate.fatal ??= error;
            for (const submission of batch)
                submission.reject(
                    error instanceof DoveadmError ? error.withContext(submission.context) : error,
                );
        }
    }

    /**
     * Runs one exchange inside the endpoint's slots, behind the fatal-error stop. Looks again once a
     * slot is free, and remembers a fatal failure before the slot is handed on: a request that waited
     * for a slot must not go out after another one learned that every request is bound to fail.
     */
    private async guarded<T>(context: ErrorContext, send: () => Promise<T>): Promise<T> {
        const stopped = () => {
            const known = this.gate.fatal ?? this.gate.refused.get(context.command);
            if (known) throw known.withContext(context);
        };
        stopped();
        return this.gate.slots.run(async () => {
            stopped();
            try {
                return await send();
            } catch (error) {
                if (error instanceof DoveadmCommandNotAllowedError)
                    this.gate.refused.set(context.command, error);
                else if (error instanceof DoveadmError && error.fatal) this.gate.fatal ??= error;
                throw error;
            }
        });
    }

    /** Posts the commands in one payload; returns each one's rows or error, in order. */
    private async exchangeCommands(
        requests: ReadonlyArray<Request<unknown>>,
        context: ErrorContext,
        label: string,
    ): Promise<Array<ResponseBody | DoveadmError>> {
        this.hooks.onRequest?.(label);
        tell("request", this, () => ({ label, commands: requests.length, users: usersOf(requests) }));
        const tags = requests.map(() => `pd${++tagCounter}`);
        const body = JSON.stringify(requests.map((r, i) => [r.command, r.params, tags[i]]));
        const text = await this.exchange(
            "POST",
            body,
            context,
            requests.some((r) => r.write),
        );
        let parsed: z.infer<typeof answerSchema>;
        try {
            parsed = answerSchema.parse(JSON.parse(withCommas(text)));
        } catch {
            // The body may be anything, an echo of the request included: quote it only redacted, and
            // redacted whole before any cut, since a cut through a credential leaves a part no form
            // matches; and not at all when it may hold what only the server should know.
            const excerpt = requests.some((r) => r.sensitive)
                ? "(not quoted: it may hold user database fields)"
                : JSON.stringify(this.redacted(text, 200));
            throw new DoveadmProtocolError(
                "DOVEADM_BAD_RESPONSE",
                context,
                `the server's answer is not a doveadm response: ${excerpt}`,
                `Check that dovecot:endpoint (${this.url}) points at the doveadm HTTP listener and not at a proxy or web page.`,
            );
        }
        return requests.map((r, i) => {
            const answer =
                parsed.find((entry) => entry[2] === tags[i]) ??
                (requests.length === 1 ? parsed[0] : undefined);
            const own = { ...r.context, command: r.command };
            if (!answer) {
                return new DoveadmProtocolError(
                    "DOVEADM_EMPTY_RESPONSE",
                    own,
                    "the server answered with no result",
                    "Run again; if it persists, check the server's log.",
                );
            }
            if (answer[0] === "doveadmResponse") return answer[1];
            return this.commandError(answer[1].type, answer[1].exitCode, own);
        });
    }

    private commandError(type: string, exitCode: number | undefined, context: ErrorContext): DoveadmError {
        switch (type) {
            case "exitCode":
                return errorForExitCode(exitCode ?? -1, context);
            case "unAuthorized":
                return new DoveadmCommandNotAllowedError(
                    "DOVEADM_COMMAND_NOT_ALLOWED",
                    context,
                    `the server does not allow the command ${context.command}`,
                    `Add ${commandLineName(context.command)} to doveadm_allowed_commands in the Dovecot configuration (pulumi-dovecot's docs/guides/least-privilege.md lists every command it needs) and reload Dovecot.`,
                );
            case "unknownMethod":
                return new DoveadmCommandNotAllowedError(
                    "DOVEADM_UNKNOWN_COMMAND",
                    context,
                    `the server does not know the command ${context.command}`,
                    "Use a Dovecot version that offers it (2.3 or 2.4), with the plugin that provides it loaded.",
                );
            case "invalidRequest":
                return new DoveadmUsageError(
                    "DOVEADM_INVALID_REQUEST",
                    context,
                    "the server rejected a parameter of the request",
                    "This is a bug in pulumi-dovecot or a server version it does not support; report it with the server's version.",
                );
            default:
                return new DoveadmProtocolError(
                    "DOVEADM_UNKNOWN_ERROR_TYPE",
                    context,
                    `the server reported an error of type ${JSON.stringify(this.redacted(type, 60))}`,
                    `Check that dovecot:endpoint (${this.url}) points at the doveadm HTTP listener, and the server's log.`,
                );
        }
    }

    /**
     * Server text fit to quote in a message: every form of the credential removed from the whole text
     * first (see redact.ts), then cut to `max` characters.
     */
    private redacted(text: string, max: number): string {
        const clean = redact(text, this.options.credentialForms ?? []);
        return clean.length > max ? `${clean.slice(0, max)}…` : clean;
    }

    private async exchange(
        method: "GET" | "POST",
        body: string | undefined,
        context: ErrorContext,
        write: boolean,
    ): Promise<string> {
        const { url, timeoutMs } = this.options;
        let response;
        try {
            response = await httpRequest(url, {
                method,
                body,
                dispatcher: this.agent,
                headers: {
                    authorization: this.options.authorization,
                    ...(body === undefined ? {} : { "content-type": "application/json" }),
                },
                headersTimeout: timeoutMs,
                bodyTimeout: timeoutMs,
                signal: AbortSignal.timeout(timeoutMs),
            });
        } catch (error) {
            throw this.connectionError(error, context, write);
        }
        let text: string;
        try {
            text = await response.body.text();
        } catch (error) {
            throw this.connectionError(error, context, write);
        }
        if (response.statusCode !== 200) {
            throw errorForHttpStatus(response.statusCode, context, this.url, {
                requestBytes: body === undefined ? 0 : Buffer.byteLength(body, "utf8"),
                // The server's own words (2.4 says which limit a request broke), redacted first.
                text: this.redacted(text.trim(), 200),
            });
        }
        return text;
    }

    private connectionError(error: unknown, context: ErrorContext, write: boolean): DoveadmError {
        const code = errorCode(error);
        const origin = this.origin;
        if (NOT_DELIVERED.has(code)) {
            return new DoveadmUnreachableError(
                "DOVEADM_UNREACHABLE",
                context,
                `could not connect to ${origin} (${code})`,
                "Check that Dovecot is running and that dovecot:endpoint names its doveadm HTTP listener.",
                { cause: error },
            );
        }
        if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
            return new DoveadmConfigError(
                "DOVEADM_HOST_NOT_FOUND",
                context,
                `the host of ${origin} could not be resolved (${code})`,
                "Correct the host name in dovecot:endpoint.",
                { cause: error },
            );
        }
        if (
            NOT_TLS.test(code) ||
            (code === "EPROTO" && NOT_TLS.test(errorText(error).toUpperCase().replace(/ /g, "_")))
        ) {
            return new DoveadmConfigError(
                "DOVEADM_NOT_TLS",
                context,
                `${origin} does not speak TLS on that port (${code})`,
                "Use http:// in dovecot:endpoint for a plain-HTTP listener, or enable ssl on the doveadm HTTP listener (inet_listener http { ssl = yes }).",
                { cause: error },
            );
        }
        if (TLS_FAILURES.test(code)) {
            return new DoveadmConfigError(
                "DOVEADM_TLS",
                context,
                `the TLS connection to ${origin} failed: its certificate could not be verified (${code})`,
                "Set dovecot:caCert to the PEM of the CA that signed the server's certificate, and make dovecot:endpoint use the host name the certificate names; set dovecot:insecureSkipVerify only for a test server.",
                { cause: error },
            );
        }
        const timedOut = /TIMEOUT|Timeout|Abort/.test(code);
        const outcome = write ? ", so it is unknown whether the command ran" : "";
        return new DoveadmUnknownOutcomeError(
            timedOut ? "DOVEADM_TIMEOUT" : "DOVEADM_CONNECTION_CLOSED",
            context,
            timedOut
                ? `no answer from ${origin} within ${this.options.timeoutMs} ms${outcome}`
                : `the connection to ${origin} closed without an answer (${code})${outcome}; the server's log may show a crashed doveadm process (a Dovecot 2.3 proxy closes the connection this way when the user's backend cannot be reached)`,
            write
                ? "Run again: pulumi-dovecot re-reads the server's state before repeating a change. If it persists, raise dovecot:timeoutMs or check the server's load and log."
                : "Run again; if it persists, raise dovecot:timeoutMs or check the server's load and log.",
            { cause: error },
        );
    }
}

/** The users the requests are about, each once. */
function usersOf(requests: ReadonlyArray<Request<unknown>>): string[] {
    return [...new Set(requests.flatMap((r) => (r.context.user === undefined ? [] : [r.context.user])))];
}

/** A request's answer as its result, its `absent` value, or an error with the request's own context. */
function settle<T>(request: Request<T>, answer: ResponseBody | DoveadmError | undefined): T | DoveadmError {
    if (answer instanceof DoveadmNotFoundError && request.absent) return request.absent.value;
    if (answer instanceof DoveadmError) return answer;
    try {
        if (answer === undefined || Array.isArray(answer)) return request.parse(answer ?? []);
        if (request.parseObject) return request.parseObject(answer);
        return new DoveadmProtocolError(
            "DOVEADM_BAD_RESPONSE",
            request.context,
            "the server answered one object where rows were expected",
            "Check that dovecot:endpoint points at a Dovecot 2.3 or 2.4 doveadm HTTP listener; if it does, report this with the server's version.",
        );
    } catch (error) {
        if (error instanceof DoveadmError) return error;
        throw error;
    }
}

/**
 * Dovecot 2.3 leaves out the comma before an error that follows another command's answer in one
 * request (`[["doveadmResponse",[],"a"]["error",{...},"b"]]`, seen live). Puts back a missing comma
 * between the top-level elements, outside strings; anything else is left for JSON.parse to judge.
 * An answer can be large (a look at a user's thousands of folders is about 150 bytes each): it is
 * scanned once and returned as it is when nothing is missing, else cut where commas go in and joined
 * once (adding to a string character by character made a rope of one node per character, 32 bytes
 * each: 22 MB of heap for one user's 5,000 folders).
 */
export function withCommas(text: string): string {
    const parts: string[] = [];
    let start = 0;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let last = 0; // the last character outside whitespace, as a UTF-16 code unit
    for (let i = 0; i < text.length; i++) {
        const char = text.charCodeAt(i);
        if (inString) {
            if (escaped) escaped = false;
            else if (char === BACKSLASH) escaped = true;
            else if (char === QUOTE) inString = false;
            continue;
        }
        if (char === QUOTE) inString = true;
        else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
            if (depth === 1 && (last === CLOSE_BRACKET || last === CLOSE_BRACE)) {
                parts.push(text.slice(start, i), ",");
                start = i;
            }
            depth++;
        } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) depth--;
        if (!isJsonSpace(char)) last = char;
    }
    if (parts.length === 0) return text;
    parts.push(text.slice(start));
    return parts.join("");
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** JSON's whitespace (RFC 8259: space, tab, line feed, carriage return). */
function isJsonSpace(char: number): boolean {
    return char === 0x20 || char === 0x09 || char === 0x0a || char === 0x0d;
}
