// Reload Dovecot's configuration when `triggers` change. `reload` answers at once and the reload
// happens after, so wait (bounded) until the API answers again before reporting success.
import type * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { DoveadmClient } from "../client/client";
import { DoveadmError, DoveadmUnreachableError } from "../client/errors";
import { checkInputs } from "../check";
import { fromState } from "./state";
import { currentClient } from "../connection";

/** The inputs of a Reload. */
export const reloadInputShape = {
    triggers: z.array(z.unknown(), { error: "must be an array" }).default([]),
};

/** A Reload's inputs and outputs. */
export interface ReloadProps {
    triggers: unknown[];
    reloadedAt?: string;
}

/** The recorded outputs, as read back from Pulumi's state. */
const recordedShape = z.object({
    triggers: z.array(z.unknown()).default([]),
    reloadedAt: z.string().optional(),
});

/** How long to wait for the API to answer after a reload. */
export const RELOAD_SETTLE_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `reload`, then waits until the API has answered twice in a row, at most `timeoutMs`. */
export async function reloadAndWait(
    client: DoveadmClient,
    timeoutMs = RELOAD_SETTLE_TIMEOUT_MS,
): Promise<void> {
    await client.reload();
    const deadline = Date.now() + timeoutMs;
    let answered = 0;
    let lastError: unknown;
    // Give the master a moment to act on the signal before the first probe.
    await sleep(200);
    while (answered < 2) {
        if (Date.now() > deadline) {
            throw new DoveadmUnreachableError(
                "DOVEADM_RELOAD_TIMEOUT",
                { command: "reload" },
                `the API did not answer within ${timeoutMs} ms after the reload${lastError instanceof Error ? ` (last error: ${lastError.message})` : ""}`,
                "Check that Dovecot came back after the reload (doveadm log errors; the new configuration may be invalid), then run again.",
            );
        }
        try {
            await client.commands();
            answered++;
        } catch (error) {
            if (error instanceof DoveadmError && error.fatal) throw error;
            answered = 0;
            lastError = error;
        }
        await sleep(100);
    }
}

/** The Reload provider's methods. */
export const reloadHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
        return checkInputs(reloadInputShape, news);
    },

    async diff(id, oldProps, news: ReloadProps) {
        const olds = fromState("Reload", "diff", id, oldProps, recordedShape);
        return { changes: !isDeepStrictEqual(olds.triggers, news.triggers ?? []) };
    },

    async create(inputs: ReloadProps) {
        await reloadAndWait(currentClient());
        const reloadedAt = new Date().toISOString();
        return { id: `reload-${reloadedAt}`, outs: { triggers: inputs.triggers, reloadedAt } };
    },

    async read(id, props) {
        // A reload leaves nothing on the server to read back.
        const recordedProps = fromState("Reload", "read", id, props, recordedShape);
        return { id, props: recordedProps, inputs: { triggers: recordedProps.triggers } };
    },

    async update(_id, _olds: ReloadProps, news: ReloadProps) {
        await reloadAndWait(currentClient());
        return { outs: { triggers: news.triggers, reloadedAt: new Date().toISOString() } };
    },

    async delete() {
        // Removing a Reload from the program does not touch the server.
    },
};
