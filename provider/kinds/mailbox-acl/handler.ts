// CRUD for one entry of one mailbox's ACL: the rights one identifier (a user, a group, anyone) has on
// a folder of its owner, which is how a folder is shared. The entry is known by what the server keeps
// (mailbox and identifier), so refresh sees rights changed or removed out of band.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    DoveadmConflictError,
    DoveadmError,
    DoveadmNoUserError,
    DoveadmNotFoundError,
} from "../../client/errors";
import { departedUser } from "../../handlers/no-user";
import { checkInputs } from "../../check";
import { Claim, claim, known, targetOf } from "../../claims";
import { UserCommands } from "../../client/client";
import { clientFor, separatorOf } from "../../connection";
import {
    inputsOfRecord,
    leaveAlone,
    mailboxItemError,
    moveOf,
    recordOf,
    serverFailures,
    serverOf,
    warnMoved,
} from "../../handlers/server";
import { fromState } from "../../handlers/state";
import { perSeparator } from "../../names";
import { AclProps, aclInputShape, aclOutputShape } from "./schema";

const recordedShape = perSeparator((separator: string) =>
    z.object({ ...aclInputShape(separator), ...aclOutputShape() }),
);

function recorded(method: string, id: string | undefined, props: unknown): AclProps {
    return fromState("MailboxAcl", method, id, props, recordedShape(separatorOf(serverOf(props))));
}

/** The entry a MailboxAcl declares, as a claim (see claims.ts). */
function entryClaim(server: string | undefined, user: string, mailbox: string, identifier: string): Claim {
    return {
        what: `the ACL entry of ${JSON.stringify(identifier)} on the folder ${JSON.stringify(mailbox)} of user ${JSON.stringify(user)}`,
        key: targetOf("acl", server, user, mailbox, identifier),
        property: "identifier",
    };
}

/** Translates a failure into the error a user can act on. */
function aclError(error: unknown): unknown {
    return mailboxItemError(error, "MailboxAcl", "ACL");
}

/** The entry of `identifier` on the mailbox, or undefined. */
async function entryOf(commands: UserCommands, props: AclProps) {
    const entries = await commands.aclGet(props.mailbox);
    return entries.find((e) => e.id === props.identifier && !e.global);
}

/** The MailboxAcl provider's methods. */
export const mailboxAclHandler: pulumi.dynamic.ResourceProvider = {
    async check(_olds: unknown, news: Record<string, unknown>) {
        return checkInputs(aclInputShape(separatorOf(serverOf(news))), news, (inputs, declarer) => {
            const failures = serverFailures(inputs);
            const { user, mailbox, identifier, server } = inputs;
            if (failures.length > 0 || !known(user, mailbox, identifier, server)) return failures;
            const [u, m, id] = [user, mailbox, identifier] as string[];
            return claim({ kind: "MailboxAcl", ...declarer }, [
                entryClaim(server as string | undefined, u as string, m as string, id as string),
            ]);
        });
    },

    async diff(id, oldProps, news: AclProps) {
        const olds = recorded("diff", id, oldProps);
        const replaces: string[] = (["user", "mailbox", "identifier", "server"] as const).filter(
            (k) => olds[k] !== news[k],
        );
        const move = moveOf(olds.endpoint, news.server);
        if (replaces.length === 0 && move) {
            // The same entry at the new endpoint: the same server under a new name.
            const there = await clientFor(news.server)
                .inUserTurn(news.user, "MailboxAcl diff", (c) => entryOf(c, olds))
                .catch((error: unknown) => {
                    if (error instanceof DoveadmError && !error.fatal) return undefined;
                    throw error;
                });
            if (there?.rights.join(" ") !== olds.rights.join(" ")) {
                replaces.push("endpoint");
                const what = entryClaim(olds.server, olds.user, olds.mailbox, olds.identifier).what;
                await warnMoved("MailboxAcl", what, news.server, move);
            }
        }
        const changes =
            replaces.length > 0 ||
            move !== undefined ||
            olds.rights.join(" ") !== (news.rights ?? []).join(" ") ||
            olds.adopt !== news.adopt;
        // The old entry goes first: on the same account (another spelling, a proxy) the new one would
        // otherwise be removed with it.
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs: AclProps) {
        try {
            // The look and the write in one turn of the user's: nothing of the user's runs between.
            await clientFor(inputs.server).inUserTurn(inputs.user, "MailboxAcl create", async (c) => {
                const existing = await entryOf(c, inputs);
                if (existing && !inputs.adopt && existing.rights.join(" ") !== inputs.rights.join(" ")) {
                    throw new DoveadmConflictError(
                        "DOVEADM_ACL_EXISTS",
                        {
                            command: "aclSet",
                            user: inputs.user,
                            mailbox: inputs.mailbox,
                            item: `ACL identifier ${JSON.stringify(inputs.identifier)}`,
                        },
                        `the mailbox already gives ${inputs.identifier} the rights "${existing.rights.join(" ")}", set by someone else`,
                        "Set adopt: true on this MailboxAcl to replace them with the declared rights, or remove the entry from the other program that declares it.",
                        { exitCode: 65 },
                    );
                }
                await c.aclSet(inputs.mailbox, inputs.identifier, inputs.rights);
            });
        } catch (error) {
            throw aclError(error);
        }
        return { id: `${inputs.user}/${inputs.mailbox}/${inputs.identifier}`, outs: recordOf(inputs) };
    },

    async read(id, props) {
        const olds = recorded("read", id, props);
        let entry;
        try {
            entry = await clientFor(olds.server).inUserTurn(olds.user, "MailboxAcl read", (c) =>
                entryOf(c, olds),
            );
        } catch (error) {
            // The mailbox is gone, and its ACL with it.
            if (error instanceof DoveadmNotFoundError) entry = undefined;
            else throw aclError(error);
        }
        if (!entry) {
            // Recorded where its server no longer points: not known to be gone (the next `up` says so).
            if (moveOf(olds.endpoint, olds.server)) return { id, props: olds, inputs: inputsOfRecord(olds) };
            return {};
        }
        const outs = recordOf({ ...olds, rights: entry.rights });
        return { id, props: outs, inputs: inputsOfRecord(outs) };
    },

    async update(id, oldProps, news: AclProps) {
        // The recorded state is input too: checked before anything is sent.
        recorded("update", id, oldProps);
        try {
            await clientFor(news.server).aclSet(news.user, news.mailbox, news.identifier, news.rights);
        } catch (error) {
            throw aclError(error);
        }
        return { outs: recordOf(news) };
    },

    async delete(id, props) {
        const olds = recorded("delete", id, props);
        const target = entryClaim(olds.server, olds.user, olds.mailbox, olds.identifier);
        if (await leaveAlone("MailboxAcl", target, olds.server, olds.endpoint)) return;
        try {
            await clientFor(olds.server).aclDelete(olds.user, olds.mailbox, olds.identifier);
        } catch (error) {
            // The mailbox is gone (deleted with its ACL): nothing is left to remove.
            if (error instanceof DoveadmNotFoundError) return;
            if (error instanceof DoveadmNoUserError) return departedUser(error, "MailboxAcl");
            throw aclError(error);
        }
    },
};
