// CRUD for one Sieve script of one user (Pigeonhole). The server compiles a script when it is stored
// and refuses one that does not compile, leaving the stored script (and the active one) as they were.
// A user has at most one active script, and activating one deactivates whatever was active: so a
// SieveScript never deactivates a script it did not store unless told to (`adopt`), and then records
// which one it replaced, to activate it again when it is destroyed. Two SieveScripts of one program
// with the same name, or both active for one user, are refused in check() (see claims.ts). Each
// operation reads and writes in one turn of the user's, so nothing of the user's runs between.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { SieveScriptInfo, UserCommands } from "../../client/client";
import {
    DoveadmConflictError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmUsageError,
    outcomeUnknown,
} from "../../client/errors";
import { Declarer, checkInputs, failureOf } from "../../check";
import { Claim, claim, known, targetOf } from "../../claims";
import { clientFor } from "../../connection";
import { unknownUser } from "../../handlers/no-user";
import { PartialFailureError } from "../../handlers/partial";
import {
    endpointOf,
    leaveAlone,
    moveOf,
    serverFailures,
    warnMoved,
    withNamedServer,
} from "../../handlers/server";
import { oversize, refuseOversize } from "../../handlers/sizes";
import { fromState } from "../../handlers/state";
import { SieveInputs, SieveProps, sieveInputShape, sieveOutputShape } from "./schema";
import { sieveReadable } from "../../limits";

const recordedShape = z.object({ ...sieveInputShape, ...sieveOutputShape() });

function recorded(method: string, id: string | undefined, props: unknown): SieveProps {
    return fromState("SieveScript", method, id, props, recordedShape);
}

/** The script a SieveScript declares, as a claim (see claims.ts). */
function scriptClaim(server: string | undefined, user: string, name: string): Claim {
    return {
        what: `the Sieve script ${JSON.stringify(name)} of user ${JSON.stringify(user)}`,
        key: targetOf("sieve", server, user, name),
        property: "name",
    };
}

/** What a SieveScript declares on the server: its script, and for an active one, the user's active script. */
function claims(inputs: Record<string, unknown>, declarer: Declarer) {
    const { user, name, active, server } = inputs;
    if (!known(user, name, server)) return [];
    const [u, n, s] = [user as string, name as string, server as string | undefined];
    return claim({ kind: "SieveScript", ...declarer }, [
        scriptClaim(s, u, n),
        ...(active === true
            ? [
                  {
                      what: `the active Sieve script of user ${JSON.stringify(u)} (a user has one at most; set active: false on all but one, or include one script from the other)`,
                      key: targetOf("sieve-active", s, u),
                      property: "active",
                  },
              ]
            : []),
    ]);
}

/** Explains a script the server refused to store. */
function putError(error: unknown): unknown {
    if (error instanceof DoveadmNoUserError) return unknownUser(error, "SieveScript");
    if (error instanceof DoveadmConflictError && error.exitCode === 65) {
        return new DoveadmUsageError(
            "DOVEADM_SIEVE_INVALID",
            error.context,
            "the server could not compile the Sieve script (exit 65); nothing was stored, and the script stored before under this name, and the user's active script, are unchanged",
            `The server's log has the line and the reason (doveadm log errors, or the log of the server; Dovecot does not send them back over the API). Check the script with \`sievec\` on a machine with Pigeonhole, correct it, and run again.`,
            { exitCode: 65 },
        );
    }
    return error;
}

/** The refusal to make `props`' script active over `other`, the user's active script, stored by someone else. */
function foreignActive(props: SieveInputs, other: string): DoveadmConflictError {
    return new DoveadmConflictError(
        "DOVEADM_SIEVE_ACTIVE_EXISTS",
        { command: "sievePut", user: props.user, item: `Sieve script ${JSON.stringify(props.name)}` },
        `the user's active Sieve script is ${JSON.stringify(other)}, which this SieveScript did not store; making this one active would deactivate it, so nothing was changed`,
        `Set adopt: true on this SieveScript to make it the active one instead (destroying it later makes ${JSON.stringify(other)} active again, if it is still there), or declare it with active: false, or remove ${JSON.stringify(other)} from the other program that declares it.`,
        { exitCode: 65 },
    );
}

/**
 * The script other than this resource's own (`names`) that is active now, if any: the one that
 * activating this resource's script would deactivate.
 */
function otherActive(scripts: readonly SieveScriptInfo[], ...names: string[]): string | undefined {
    return scripts.find((s) => s.active && !names.includes(s.name))?.name;
}

/** Runs `work` in the user's turn on the resource's server; an unknown user gets the SieveScript advice. */
async function inTurn<T>(
    props: SieveInputs,
    label: string,
    work: (c: UserCommands) => Promise<T>,
): Promise<T> {
    try {
        return await clientFor(props.server).inUserTurn(props.user, label, work);
    } catch (error) {
        if (error instanceof DoveadmNoUserError) throw unknownUser(error, "SieveScript");
        throw error;
    }
}

/** What `sievePut` sends for `props`, for measuring it against the server's limits. */
function putParams(props: SieveInputs): Record<string, unknown> {
    return { user: props.user, scriptname: props.name, file: props.script, activate: props.active };
}

async function put(c: UserCommands, props: SieveInputs): Promise<void> {
    await refuseOversize(props.server, "sievePut", putParams(props), {
        command: "sievePut",
        user: props.user,
        item: `Sieve script ${JSON.stringify(props.name)}`,
    });
    try {
        await c.sievePut(props.name, props.script, { activate: props.active });
    } catch (error) {
        throw putError(error);
    }
}

/** A SieveScript's id. */
function idOf(inputs: SieveInputs): string {
    return `${inputs.user}/${inputs.name}`;
}

/** The SieveScript provider's methods. */
export const sieveScriptHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: Record<string, unknown>) {
        const result = checkInputs(sieveInputShape, news, (inputs, declarer) => {
            const failures = serverFailures(inputs);
            return failures.length > 0 ? failures : claims(inputs, declarer);
        });
        if ((result.failures ?? []).length > 0) return result;
        const inputs = result.inputs as SieveInputs;
        if (!known(inputs.server, inputs.script, inputs.name, inputs.user)) return result;
        const problem = await oversize(inputs.server, "sievePut", putParams(inputs));
        return problem ? { inputs: news, failures: [failureOf("script", inputs.script, problem)] } : result;
    },

    async diff(id, oldProps, news: SieveInputs) {
        const olds = recorded("diff", id, oldProps);
        const replaces = olds.user !== news.user ? ["user"] : olds.server !== news.server ? ["server"] : [];
        const move = moveOf(olds.endpoint, news.server);
        if (replaces.length === 0 && move) {
            // The same script (name and text) at the new endpoint: the same server under a new name.
            const same = await inTurn(
                news,
                "SieveScript diff",
                async (c) => (await c.sieveGet(olds.name)) === olds.script,
            ).catch((error: unknown) => {
                if (error instanceof DoveadmError && !error.fatal) return false;
                throw error;
            });
            if (!same) {
                replaces.push("endpoint");
                await warnMoved(
                    "SieveScript",
                    `the Sieve script ${JSON.stringify(olds.name)} of user ${JSON.stringify(olds.user)}`,
                    news.server,
                    move,
                );
            }
        }
        const changes =
            replaces.length > 0 ||
            move !== undefined ||
            olds.name !== news.name ||
            olds.script !== news.script ||
            olds.active !== news.active ||
            olds.adopt !== news.adopt ||
            olds.pending === true;
        // The old script goes first: on the same account (another spelling, a proxy) the new one
        // would otherwise be deleted with it.
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: SieveInputs) {
        const outs = await inTurn(inputs, "SieveScript create", async (c) => {
            const scripts = await c.sieveList();
            const existing = scripts.find((s) => s.name === inputs.name);
            if (existing && !inputs.adopt) {
                throw new DoveadmConflictError(
                    "DOVEADM_SIEVE_EXISTS",
                    {
                        command: "sievePut",
                        user: inputs.user,
                        item: `Sieve script ${JSON.stringify(inputs.name)}`,
                    },
                    "the user already has a Sieve script of this name, which this program did not store",
                    "Set adopt: true on this SieveScript to replace it with the declared script, or choose another name.",
                    { exitCode: 65 },
                );
            }
            const replaced = inputs.active ? otherActive(scripts, inputs.name) : undefined;
            if (replaced !== undefined && !inputs.adopt) throw foreignActive(inputs, replaced);
            const outs = withNamedServer<SieveProps>({
                ...inputs,
                endpoint: endpointOf(inputs.server),
                ...(replaced === undefined ? {} : { replacedActive: replaced }),
            });
            let sent = false;
            try {
                await put(c, inputs);
                sent = true;
                // Declared inactive: a script taken over that was active is deactivated, as declared.
                if (!inputs.active && existing?.active) await c.sieveDeactivate();
            } catch (error) {
                // The script may be stored (an answer lost) or is (a later step failed): recorded as
                // pending, with the script it replaced, so that the next `up` stores it again instead
                // of refusing it as someone else's, and destroy gives the replaced one back.
                if (sent || outcomeUnknown(error))
                    throw new PartialFailureError(idOf(inputs), { ...outs, pending: true }, error, inputs);
                throw error;
            }
            return outs;
        });
        return { id: idOf(inputs), outs };
    },

    async read(id, props) {
        const olds = recorded("read", id, props);
        const found = await inTurn(olds, "SieveScript read", async (c) => {
            const info = (await c.sieveList()).find((s) => s.name === olds.name);
            if (!info) return undefined;
            // Dovecot sends a script back in pieces of 8 KiB and breaks a character across two: such
            // a script is not read back (see sieveReadable), and its text is taken as recorded.
            if (!sieveReadable(olds.script)) return { script: olds.script, active: info.active };
            const script = await c.sieveGet(olds.name);
            return script === undefined ? undefined : { script, active: info.active };
        });
        if (!found) {
            // Recorded where its server no longer points: not known to be gone (the next `up` says so).
            if (moveOf(olds.endpoint, olds.server)) {
                const { endpoint: _e, replacedActive: _r, pending: _p, ...inputs } = olds;
                return { id, props: olds, inputs };
            }
            return {};
        }
        const outs = withNamedServer<SieveProps>({ ...olds, ...found, endpoint: endpointOf(olds.server) });
        const {
            adopt: _adopt,
            replacedActive: _replaced,
            pending: _pending,
            endpoint: _endpoint,
            ...inputs
        } = outs;
        return { id, props: outs, inputs: { ...inputs, adopt: olds.adopt } };
    },

    async update(id, oldProps, news: SieveInputs) {
        const olds = recorded("update", id, oldProps);
        let renamed = false;
        let replacedActive = olds.replacedActive;
        try {
            await inTurn(news, "SieveScript update", async (c) => {
                const scripts = await c.sieveList();
                let own = scripts.find((s) => s.name === olds.name);
                let rename = olds.name !== news.name;
                if (rename && own === undefined) {
                    // Gone from its recorded name: a rename whose answer was lost went through if the
                    // new name holds this resource's script; with none there, it is stored anew below.
                    rename = false;
                    const there = scripts.find((s) => s.name === news.name);
                    if (there !== undefined) {
                        if ((await c.sieveGet(news.name)) === olds.script) own = there;
                        else if (!news.adopt)
                            throw new DoveadmConflictError(
                                "DOVEADM_SIEVE_EXISTS",
                                {
                                    command: "sieveRename",
                                    user: news.user,
                                    item: `Sieve script ${JSON.stringify(olds.name)} to ${JSON.stringify(news.name)}`,
                                },
                                `the script ${JSON.stringify(olds.name)} is gone, and the user already has a Sieve script ${JSON.stringify(news.name)} that is not the one this program stored; nothing was changed`,
                                "Set adopt: true on this SieveScript to replace that script with the declared one, or choose another name.",
                                { exitCode: 65 },
                            );
                    }
                }
                // Activating this one would deactivate another script that someone else made active.
                const replaced = news.active ? otherActive(scripts, olds.name, news.name) : undefined;
                if (replaced !== undefined) {
                    if (!news.adopt) throw foreignActive(news, replaced);
                    replacedActive = replaced;
                }
                if (rename) {
                    try {
                        await c.sieveRename(olds.name, news.name);
                    } catch (error) {
                        if (error instanceof DoveadmConflictError)
                            throw new DoveadmConflictError(
                                "DOVEADM_SIEVE_EXISTS",
                                error.context,
                                "a Sieve script of the new name already exists; nothing was renamed",
                                "Choose another name, or remove the other script first.",
                                { exitCode: 65 },
                            );
                        throw error;
                    }
                    renamed = true;
                }
                const activeNow = own?.active ?? false;
                if (olds.script !== news.script || own === undefined || olds.pending) await put(c, news);
                else if (news.active && !activeNow) await c.sieveActivate(news.name);
                // Only deactivate this script, never another one activated since.
                if (!news.active && activeNow) await c.sieveDeactivate();
            });
        } catch (error) {
            // A rename that went through stays: record it, so the state says where the script is.
            if (renamed && error instanceof DoveadmError) {
                throw new PartialFailureError(
                    id,
                    withNamedServer<SieveProps>({ ...olds, name: news.name }),
                    error,
                    news,
                );
            }
            throw error;
        }
        return {
            outs: withNamedServer<SieveProps>({
                ...news,
                endpoint: endpointOf(news.server),
                ...(replacedActive === undefined ? {} : { replacedActive }),
            }),
        };
    },

    async delete(id, props) {
        const olds = recorded("delete", id, props);
        const target = scriptClaim(olds.server, olds.user, olds.name);
        if (await leaveAlone("SieveScript", target, olds.server, olds.endpoint)) return;
        await inTurn(olds, "SieveScript delete", async (c) => {
            // The active one too: the user is then left without filtering, as the program now says,
            // unless this script replaced another one (with adopt), which is made active again.
            await c.sieveDelete(olds.name, { ignoreActive: true });
            if (olds.replacedActive === undefined) return;
            const scripts = await c.sieveList();
            if (scripts.some((s) => s.active)) return;
            if (scripts.some((s) => s.name === olds.replacedActive))
                await c.sieveActivate(olds.replacedActive);
        });
    },
};
