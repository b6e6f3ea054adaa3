// What the client says about its work while it goes on: each request sent, each retry, each request
// split after a failure. The client works the same whether anyone listens or not; the provider process
// listens (progress.ts turns the events into the engine's log messages), a program's lookups and most
// tests do not. An event is built only when a listener wants its kind, so a run nobody watches pays a
// function call per request and nothing more.
import { DoveadmError } from "./errors";

/** An HTTP request about to be sent. */
export interface RequestEvent {
    kind: "request";
    /** Its commands, as the request names them (`mailboxCreate+mailboxStatus`, `GET /doveadm/v1`). */
    label: string;
    /** How many commands it holds (0 for the command list). */
    commands: number;
    /** The users its commands are about, each once. */
    users: string[];
}

/** A failed attempt of a request, to be sent again after a wait. */
export interface RetryEvent {
    kind: "retry";
    /** Why the attempt failed; its context names the command, the user and the mailbox. */
    error: DoveadmError;
    /** The attempt that failed (1 for the first). */
    attempt: number;
    /** The most attempts the policy allows. */
    attempts: number;
    /** The wait before the next attempt, in milliseconds. */
    delayMs: number;
}

/** How a request that failed is asked again in parts. */
export type SplitWay =
    /** Status of several names failed because one is not a mailbox: asked again in halves. */
    | "halves"
    /** An array-form command failed: each of its names sent again alone. */
    | "names"
    /** A request of several commands failed as a whole: each write settled on its own. */
    | "writes";

/** A request that failed and is asked again in parts, to learn which part failed. */
export interface SplitEvent {
    kind: "split";
    /** The failure of the whole; its context names the command, the user and the mailboxes. */
    error: DoveadmError;
    /** How it is asked again. */
    way: SplitWay;
    /** How many commands the failed request held. */
    commands: number;
}

/** Anything the client says. */
export type ClientEvent = RequestEvent | RetryEvent | SplitEvent;

/** What an event of each kind says besides its kind. */
interface DetailsOfKind {
    request: Omit<RequestEvent, "kind">;
    retry: Omit<RetryEvent, "kind">;
    split: Omit<SplitEvent, "kind">;
}

/** Where an event happened: the endpoint, and what removes its credential from text about it. */
export interface EventSource {
    /** The endpoint's origin, safe to show. */
    readonly origin: string;
    /** `text` with every form of this endpoint's credential removed (see redact.ts). */
    clean(text: string): string;
}

/** One listener: which kinds it wants (asked before each event is built), and what it does with one. */
interface Listener {
    wants: (kind: ClientEvent["kind"]) => boolean;
    hear: (event: ClientEvent, source: EventSource) => void;
}

const listeners = new Set<Listener>();

/** Listens to the client's events of the kinds `wants` accepts; returns what stops it. */
export function listenToClient(
    hear: (event: ClientEvent, source: EventSource) => void,
    wants: (kind: ClientEvent["kind"]) => boolean = () => true,
): () => void {
    const listener = { wants, hear };
    listeners.add(listener);
    return () => listeners.delete(listener);
}

/** Tells the listeners that want it the event `build` makes; builds nothing when none does. */
export function tell<K extends keyof DetailsOfKind>(
    kind: K,
    source: EventSource,
    build: () => DetailsOfKind[K],
): void {
    let event: ClientEvent | undefined;
    for (const listener of listeners) {
        if (!listener.wants(kind)) continue;
        event ??= { kind, ...build() } as unknown as ClientEvent;
        try {
            listener.hear(event, source);
        } catch {
            // An observer's failure is never the request's.
        }
    }
}
