// Sends one doveadm command per HTTP request and turns every answer into a result or a typed error.
// The server closes every connection after one answer, so there is nothing to pool; concurrency is
// limited one layer up. Credentials live only in the prebuilt Authorization header, never in errors.
import { Agent, request } from "undici";
import { z } from "zod";
import {
    DoveadmCommandNotAllowedError,
    DoveadmConfigError,
    DoveadmError,
    DoveadmProtocolError,
    DoveadmUnknownOutcomeError,
    DoveadmUnreachableError,
    DoveadmUsageError,
    ErrorContext,
    errorForExitCode,
    errorForHttpStatus,
} from "./errors";

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
}

/** One row of a doveadm answer: all values are strings on the wire. */
export type ResponseRow = Record<string, string>;

/** A command the server offers, from `GET /doveadm/v1`. */
export interface CommandInfo {
    /** The command name, for example `mailboxCreate`. */
    command: string;
    /** Its parameters with their wire types. */
    parameters: Array<{ name: string; type: string }>;
}

const rowSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]).transform(String));
const answerSchema = z.array(
    z.union([
        z.tuple([z.literal("doveadmResponse"), z.array(rowSchema), z.string()]),
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

/** Error codes of the connection layer that mean the request never reached the server. */
const NOT_DELIVERED = new Set([
    "ECONNREFUSED",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EADDRNOTAVAIL",
    "UND_ERR_CONNECT_TIMEOUT",
]);
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

/** `mailboxCreate` as `doveadm_allowed_commands` spells it: `mailbox create`. */
export function commandLineName(command: string): string {
    return command.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

let tagCounter = 0;

/** Sends doveadm commands to one endpoint. */
export class Transport {
    private readonly agent: Agent;

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
    }

    /** The endpoint's origin, for messages (it carries no credential). */
    get origin(): string {
        return new URL(this.options.url).origin;
    }

    /** Sends one command and returns its result rows, or throws the matching DoveadmError. */
    async send(
        command: string,
        params: Record<string, unknown>,
        context: ErrorContext,
    ): Promise<ResponseRow[]> {
        const [result] = await this.sendMany([{ command, params }], context);
        if (result instanceof DoveadmError) throw result;
        return result ?? [];
    }

    /**
     * Sends several commands in one request and returns each one's rows or error, in order. The
     * server may run them in any order and loses every answer if one crashes it: only for reads.
     */
    async sendMany(
        commands: Array<{ command: string; params: Record<string, unknown> }>,
        context: ErrorContext,
    ): Promise<Array<ResponseRow[] | DoveadmError>> {
        const tags = commands.map(() => `pd${++tagCounter}`);
        const body = JSON.stringify(commands.map((c, i) => [c.command, c.params, tags[i]]));
        const text = await this.exchange("POST", body, context);
        let parsed: z.infer<typeof answerSchema>;
        try {
            parsed = answerSchema.parse(JSON.parse(text));
        } catch {
            throw new DoveadmProtocolError(
                "DOVEADM_BAD_RESPONSE",
                context,
                `the server's answer is not a doveadm response: ${JSON.stringify(text.slice(0, 200))}`,
                `Check that dovecot:endpoint (${this.origin}) points at the doveadm HTTP listener.`,
            );
        }
        return commands.map((c, i) => {
            const answer =
                parsed.find((entry) => entry[2] === tags[i]) ??
                (commands.length === 1 ? parsed[0] : undefined);
            const own = { ...context, command: c.command };
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

    /** Lists the commands the server offers (`GET /doveadm/v1`). */
    async commands(): Promise<CommandInfo[]> {
        const context = { command: "GET /doveadm/v1" };
        const text = await this.exchange("GET", undefined, context);
        try {
            return commandListSchema.parse(JSON.parse(text));
        } catch {
            throw new DoveadmProtocolError(
                "DOVEADM_BAD_RESPONSE",
                context,
                "the server's command list is not in the doveadm format",
                `Check that dovecot:endpoint (${this.origin}) points at the doveadm HTTP listener.`,
            );
        }
    }

    /** Closes the connection pool. */
    async close(): Promise<void> {
        await this.agent.close();
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
                    `Add ${commandLineName(context.command)} to doveadm_allowed_commands in the Dovecot configuration (the README lists all the commands pulumi-dovecot needs) and reload Dovecot.`,
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
                    `the server reported an error of type ${JSON.stringify(type)}`,
                    "Check the server's log.",
                );
        }
    }

    private async exchange(
        method: "GET" | "POST",
        body: string | undefined,
        context: ErrorContext,
    ): Promise<string> {
        const { url, timeoutMs } = this.options;
        let response;
        try {
            response = await request(url, {
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
            throw this.connectionError(error, context);
        }
        let text: string;
        try {
            text = await response.body.text();
        } catch (error) {
            throw this.connectionError(error, context);
        }
        if (response.statusCode !== 200) throw errorForHttpStatus(response.statusCode, context, this.origin);
        return text;
    }

    private connectionError(error: unknown, context: ErrorContext): DoveadmError {
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
        if (TLS_FAILURES.test(code)) {
            return new DoveadmConfigError(
                "DOVEADM_TLS",
                context,
                `the TLS connection to ${origin} failed (${code})`,
                "Set dovecot:caCert to the PEM of the CA that signed the server's certificate; set dovecot:insecureSkipVerify only for a test server.",
                { cause: error },
            );
        }
        const timedOut = /TIMEOUT|Timeout|Abort/.test(code);
        return new DoveadmUnknownOutcomeError(
            timedOut ? "DOVEADM_TIMEOUT" : "DOVEADM_CONNECTION_CLOSED",
            context,
            timedOut
                ? `no answer from ${origin} within ${this.options.timeoutMs} ms, so it is unknown whether the command ran`
                : `the connection to ${origin} closed without an answer (${code}), so it is unknown whether the command ran; the server's log may show a crashed doveadm process`,
            "Run again: pulumi-dovecot re-reads the server's state before repeating a change. If it persists, raise dovecot:timeoutMs or check the server's load and log.",
            { cause: error },
        );
    }
}
