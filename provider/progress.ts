// What the person running `pulumi up` sees of the provider's work while it goes on, through the
// engine's log (engine.ts). Nothing here changes what the provider does; it only says it.
// - info, shown by default: each retry of a request (the command, the user and the mailboxes, the
//   attempt, why it failed, and the wait before the next one), and a Reload that waits: once its
//   server has not answered for RELOAD_NOTICE_MS or a probe failed, and again when it answers.
// - debug, shown with `pulumi up --debug`: a request asked again in parts after a failure, a Reload
//   that answered at once, a retry said already in the last minute (a request of many writes that
//   failed as a whole retries them one by one), and, only when the engine passes its verbosity on
//   (`-v=<n> --logflow`), each request sent. A provider cannot tell whether `--debug` is set, so
//   debug messages are kept to one per retry or split, never one per folder.
// The client's messages are attached to the stack: one request serves many resources at once. A
// Reload's are attached to its resource, where the protocol names it (the plugin). Every message has
// every form of its endpoint's credential removed (redact.ts) before it leaves, whatever it quotes.
import type { DoveadmClient } from "./client/client";
import { DoveadmError, ErrorContext, describeTarget } from "./client/errors";
import { ClientEvent, EventSource, RetryEvent, listenToClient } from "./client/events";
import { credentialForms, withoutCredentials } from "./client/redact";
import { Severity, currentResource, heard, log, verbosity } from "./engine";

/** What the package's messages start with, where no resource names them. */
const PREFIX = "pulumi-dovecot: ";

/** A message to log. */
export interface Said {
    severity: Severity;
    message: string;
}

/** Seconds, as messages show them. */
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Why a request failed, in a few words: the error's reason up to its explanation, the first ": " or
 * "; " outside parentheses (the exit code, the HTTP status, the timeout or the socket error are in the
 * part before it), for a line of progress.
 */
export function shortReason(error: unknown): string {
    if (!(error instanceof DoveadmError)) return error instanceof Error ? error.message : String(error);
    const reason = error.reason;
    let depth = 0;
    for (let i = 0; i < reason.length - 1; i++) {
        const char = reason[i];
        if (char === "(") depth++;
        else if (char === ")") depth = Math.max(0, depth - 1);
        else if (depth === 0 && (char === ":" || char === ";") && reason[i + 1] === " ")
            return reason.slice(0, i);
    }
    return reason;
}

/** The mailbox names of a context, as a list. */
function mailboxesOf(context: ErrorContext): string[] {
    const mailbox = context.mailbox;
    return mailbox === undefined ? [] : typeof mailbox === "string" ? [mailbox] : [...mailbox];
}

/** The message of a retry (or of several alike, merged: their mailboxes are named together). */
export function retryMessage(event: RetryEvent, origin: string, mailboxes?: readonly string[]): string {
    const context = mailboxes ? { ...event.error.context, mailbox: mailboxes } : event.error.context;
    return (
        `${PREFIX}${describeTarget(context)} at ${origin} failed (attempt ${event.attempt} of ` +
        `${event.attempts}): ${shortReason(event.error)}; trying again in ${seconds(event.delayMs)}`
    );
}

/** What the client's event says, or undefined for a retry (which `ClientProgress` merges and paces). */
export function describeEvent(event: ClientEvent, origin: string): Said | undefined {
    switch (event.kind) {
        case "request": {
            const users = event.users.map((user) => JSON.stringify(user));
            const shown = users.length > 5 ? [...users.slice(0, 5), `and ${users.length - 5} more`] : users;
            const commands =
                event.commands === 0
                    ? ""
                    : ` (${event.commands} command${event.commands === 1 ? "" : "s"}` +
                      (users.length === 0
                          ? ")"
                          : `; user${users.length === 1 ? "" : "s"} ${shown.join(", ")})`);
            return { severity: "debug", message: `${PREFIX}sending ${event.label}${commands} to ${origin}` };
        }
        case "split": {
            const what = `${describeTarget(event.error.context)} at ${origin}`;
            const why = shortReason(event.error);
            const message =
                event.way === "halves"
                    ? `${what} failed as a whole (${why}): asking for the names in halves to find those that are not mailboxes`
                    : event.way === "names"
                      ? `${what} failed (${why}): sending each name alone to learn which one failed`
                      : `a request of ${event.commands} commands (${what}) failed as a whole (${why}): settling each write on its own, a write whose outcome is unknown read back before it is sent again`;
            return { severity: "debug", message: `${PREFIX}${message}` };
        }
        case "retry":
            return undefined;
    }
}

/** How long a retry said at info is said again only at debug. */
export const RETRY_REPEAT_MS = 60_000;

/**
 * Turns the client's events into log messages. Retries of the same command, user, attempt and failure
 * in one tick (a user's creates refused together) are said as one message naming their mailboxes;
 * the same said again within RETRY_REPEAT_MS goes to debug, so that a request of many writes retried
 * one by one says it once at info, not once per folder.
 */
export class ClientProgress {
    private readonly pending = new Map<
        string,
        { event: RetryEvent; source: EventSource; mailboxes: string[] }
    >();
    private readonly lastSaid = new Map<string, number>();

    constructor(
        private readonly say: (said: Said) => void,
        private readonly now: () => number = Date.now,
    ) {}

    /** Hears one event of the client. */
    hear(event: ClientEvent, source: EventSource): void {
        if (event.kind !== "retry") {
            const said = describeEvent(event, source.origin);
            if (said) this.say({ ...said, message: source.clean(said.message) });
            return;
        }
        const { command, user } = event.error.context;
        const key = JSON.stringify([source.origin, command, user, event.attempt, event.error.code]);
        const merged = this.pending.get(key);
        if (merged) {
            merged.mailboxes.push(...mailboxesOf(event.error.context));
            return;
        }
        if (this.pending.size === 0) setImmediate(() => this.flush());
        this.pending.set(key, { event, source, mailboxes: mailboxesOf(event.error.context) });
    }

    /** Says the retries heard in the last tick. */
    flush(): void {
        const now = this.now();
        for (const [key, { event, source, mailboxes }] of this.pending) {
            const last = this.lastSaid.get(key);
            const repeated = last !== undefined && now - last < RETRY_REPEAT_MS;
            if (!repeated) {
                if (this.lastSaid.size >= 1000) this.lastSaid.clear();
                this.lastSaid.set(key, now);
            }
            const names = [...new Set(mailboxes)];
            const message = retryMessage(event, source.origin, names.length > 0 ? names : undefined);
            this.say({ severity: repeated ? "debug" : "info", message: source.clean(message) });
        }
        this.pending.clear();
    }
}

let reporting = false;

/**
 * Makes the client's events the engine's log messages, from now on in this process (once; the
 * connection layer calls it for each client it makes). Events are built only when someone hears
 * them, and a request's only when the engine runs verbose.
 */
export function reportClientProgress(): void {
    if (reporting) return;
    reporting = true;
    const progress = new ClientProgress(({ severity, message }) => void log(severity, message, ""));
    listenToClient(
        (event, source) => progress.hear(event, source),
        (kind) => heard() && (kind !== "request" || verbosity() > 0),
    );
}

/** After how long a Reload whose server has not answered again says that it waits. */
export const RELOAD_NOTICE_MS = 2_000;

/** What a Reload says while it waits for its server to answer again after the reload. */
export interface ReloadProgress {
    /** A probe failed: the server does not answer yet (said at once, the first time). */
    notAnswering(error: unknown): void;
    /** The server answers again. */
    answered(): void;
    /** The wait is over, whatever ended it. */
    stop(): void;
}

/**
 * Starts telling of the wait of a Reload of `client`'s server, which may last `timeoutMs`: after
 * RELOAD_NOTICE_MS without an answer, or at the first failed probe, it says (at info) that it waits,
 * and then when the server answers again; a server that answers at once is said at debug only.
 */
export function reloadProgress(client: DoveadmClient, timeoutMs: number): ReloadProgress {
    const urn = currentResource();
    const started = Date.now();
    const origin = client.origin;
    const forms = credentialForms(client.settings);
    const say = (severity: Severity, message: string) => {
        if (heard()) void log(severity, withoutCredentials(`Reload: ${message}`, forms), urn);
    };
    let announced = false;
    const announce = (error?: unknown) => {
        if (announced) return;
        announced = true;
        clearTimeout(timer);
        say(
            "info",
            `waiting for Dovecot at ${origin} to answer again after the reload (at most ${seconds(timeoutMs)})` +
                (error === undefined ? "" : `; it does not answer yet: ${shortReason(error)}`),
        );
    };
    const timer = setTimeout(() => announce(), RELOAD_NOTICE_MS);
    timer.unref();
    return {
        notAnswering: (error) => announce(error),
        answered: () => {
            clearTimeout(timer);
            const after = seconds(Date.now() - started);
            if (announced) say("info", `Dovecot at ${origin} answers again, ${after} after the reload`);
            else say("debug", `Dovecot at ${origin} reloaded and answered again ${after} after the reload`);
        },
        stop: () => clearTimeout(timer),
    };
}
