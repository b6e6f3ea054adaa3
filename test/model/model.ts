// The model's state (the program, the program last applied, and what the checks must remember: mail
// delivered, folders declared with forceDestroy, what nobody declares, the Sieve simulation) and the
// real system it is checked against. Only types: the steps change the model, the checks compare it
// with the servers.
import { Sandbox } from "../harness/dovecot";
import { FaultProxy } from "../harness/fault-proxy";
import { Engine } from "./engine";
import { ServerRef } from "./universe";
import { Program } from "./program";
import { SieveSim } from "./sieve";

/** What nobody's program declares: canaries, and what "someone else" made. */
export interface Undeclared {
    /** Folders with their GUID and messages (every INBOX, Team, the canaries). */
    folders: Array<{ server: ServerRef; user: string; name: string; guid: string; messages: number }>;
    /** Scripts (their text and active state are in the SieveSim); canaries are never deleted. */
    scripts: Array<{ server: ServerRef; user: string; name: string; canary: boolean }>;
    acls: Array<{ server: ServerRef; user: string; mailbox: string; id: string; rights: string[] }>;
    metas: Array<{ server: ServerRef; user: string; mailbox: string; key: string; value: string }>;
    subs: Array<{ server: ServerRef; user: string; name: string }>;
}

/** The model: the program, the last one applied, and what the checks must remember. */
export interface Model {
    program: Program;
    applied: Program;
    /** Messages delivered into program folders, by GUID: they may only go with forceDestroy. */
    delivered: Map<string, { server: ServerRef; user: string; count: number }>;
    /** GUIDs of folders that a program sent to `up` declared with forceDestroy. */
    forceEver: Set<string>;
    /** Legacy still exists unmanaged. */
    legacy: boolean;
    undeclared: Undeclared;
    sieve: SieveSim;
}

/** The real system: two Dovecots, a fault proxy in front of each, and the engine that applies the program. */
export interface Real {
    sandboxes: Record<ServerRef, Sandbox>;
    proxies: Record<ServerRef, FaultProxy>;
    engine: Engine;
    log: (line: string) => void;
}
