// CRUD for one Sieve script of one user (Pigeonhole). The server compiles a script when it is stored
// and refuses one that does not compile, leaving the stored script (and the active one) as they were.
// A user has at most one active script: two active SieveScripts of one user in a program fail in
// check() (see `declaredActive`), which runs for every resource before any of them is applied.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DoveadmConflictError, DoveadmError, DoveadmNoUserError, DoveadmUsageError } from "../client/errors";
import { sieveNameProblem } from "../client/plugins";
import { UNKNOWN, checkInputs } from "../check";
import { clientFor } from "../connection";
import { userSchema } from "../names";
import { unknownUser } from "./no-user";
import { PartialFailureError } from "./partial";
import { serverFailures, serverInput, serverName, withNamedServer } from "./server";
import { fromState } from "./state";

const scriptName = z.string({ error: "must be a string" }).superRefine((name, ctx) => {
    const problem = sieveNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** The inputs of a SieveScript. */
export const sieveInputShape = {
    user: z.string({ error: "must be a string" }).pipe(userSchema),
    name: scriptName,
    script: z
        .string({ error: "must be a string" })
        .min(1, "must not be empty (to remove the script, remove the SieveScript)")
        .max(1_048_576, "must be at most 1 MiB (Pigeonhole's default sieve_max_script_size)"),
    active: z.boolean({ error: "must be true or false" }).default(true),
    adopt: z.boolean({ error: "must be true or false" }).default(false),
    server: serverInput,
};

/** A SieveScript's inputs and outputs. */
export type SieveProps = z.output<z.ZodObject<typeof sieveInputShape>>;

const recordedShape = z.object(sieveInputShape);

function recorded(method: string, id: string | undefined, props: unknown): SieveProps {
    return fromState("SieveScript", method, id, props, recordedShape);
}

/**
 * The active scripts declared so far in this provider process, by server and user: check() runs for
 * every resource of a program before any is applied, so a second active script of one user is
 * refused in preview. (A user only known at apply time is checked again then, with the same map.)
 */
const declaredActive = new Map<string, string>();

function activeConflict(inputs: Record<string, unknown>): pulumi.dynamic.CheckFailure[] {
    const { user, name, active, server } = inputs;
    if (active !== true || typeof user !== "string" || typeof name !== "string") return [];
    if ([user, name, server].includes(UNKNOWN)) return [];
    const key = `${serverName(server as string | undefined)}\u0000${user}`;
    const other = declaredActive.get(key);
    if (other !== undefined && other !== name) {
        return [
            {
                property: "active",
                reason: `user ${JSON.stringify(user)} already has the active Sieve script ${JSON.stringify(other)} in this program, and a user can have only one active script: set active: false on one of them (or include one script from the other)`,
            },
        ];
    }
    declaredActive.set(key, name);
    return [];
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

async function put(props: SieveProps): Promise<void> {
    const client = clientFor(props.server);
    try {
        await client.sievePut(props.user, props.name, props.script, { activate: props.active });
    } catch (error) {
        throw putError(error);
    }
}

/** The SieveScript provider's methods. */
export const sieveHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        return checkInputs(sieveInputShape, news, (inputs) => [
            ...serverFailures(inputs),
            ...activeConflict(inputs),
        ]);
    },

    async diff(id, oldProps, news: SieveProps) {
        const olds = recorded("diff", id, oldProps);
        const replaces = olds.user !== news.user ? ["user"] : olds.server !== news.server ? ["server"] : [];
        const changes =
            replaces.length > 0 ||
            olds.name !== news.name ||
            olds.script !== news.script ||
            olds.active !== news.active ||
            olds.adopt !== news.adopt;
        // The old script goes first: on the same account (another spelling, a proxy) the new one
        // would otherwise be deleted with it.
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: SieveProps) {
        const client = clientFor(inputs.server);
        let existing;
        try {
            existing = (await client.sieveList(inputs.user)).find((s) => s.name === inputs.name);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "SieveScript");
            throw error;
        }
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
        await put(inputs);
        // Declared inactive: a script taken over that was active is deactivated, as declared.
        if (!inputs.active && existing?.active) await client.sieveDeactivate(inputs.user);
        return { id: `${inputs.user}/${inputs.name}`, outs: withNamedServer(inputs) };
    },

    async read(id, props) {
        const olds = recorded("read", id, props);
        const client = clientFor(olds.server);
        let script: string | undefined;
        let active: boolean;
        try {
            const found = (await client.sieveList(olds.user)).find((s) => s.name === olds.name);
            if (!found) return {};
            active = found.active;
            script = await client.sieveGet(olds.user, olds.name);
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "SieveScript");
            throw error;
        }
        if (script === undefined) return {};
        const outs = withNamedServer({ ...olds, script, active });
        const { adopt: _adopt, ...inputs } = outs;
        return { id, props: outs, inputs: { ...inputs, adopt: olds.adopt } };
    },

    async update(id, oldProps, news: SieveProps) {
        const olds = recorded("update", id, oldProps);
        const client = clientFor(news.server);
        const { user } = news;
        if (olds.name !== news.name) {
            try {
                await client.sieveRename(user, olds.name, news.name);
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
        }
        if (olds.script !== news.script || (news.active && !olds.active)) {
            try {
                await put(news);
            } catch (error) {
                // A rename that went through stays: record it, so the state says where the script is.
                if (olds.name !== news.name && error instanceof DoveadmError) {
                    throw new PartialFailureError(
                        id,
                        withNamedServer({ ...olds, name: news.name }),
                        error,
                        news,
                    );
                }
                throw error;
            }
        }
        if (!news.active && olds.active) {
            // Only deactivate when this script is the active one: another may have been activated since.
            const current = (await client.sieveList(user)).find((s) => s.name === news.name);
            if (current?.active) await client.sieveDeactivate(user);
        }
        return { outs: withNamedServer(news) };
    },

    async delete(id, props) {
        const olds = recorded("delete", id, props);
        try {
            // The active one too: the user is then left without filtering, as the program now says.
            await clientFor(olds.server).sieveDelete(olds.user, olds.name, { ignoreActive: true });
        } catch (error) {
            if (error instanceof DoveadmNoUserError) throw unknownUser(error, "SieveScript");
            throw error;
        }
    },
};
