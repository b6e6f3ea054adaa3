// `pulumi import` of a SieveScript: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { serverIdentity } from "../../connection";
import { notFound, refuse, spellingWarnings, userAnd } from "../../handlers/import-ids";
import { sieveNameProblem } from "../../client/plugins";
import { sieveReadable } from "../../limits";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "SieveScript",
    form: "<user>/<script name>, such as alice@example.org/filters",
};

/** Reads the SieveScript that `id` names on the server of `client` (nothing is changed). */
export async function readSieveScript(id: string, client: DoveadmClient): Promise<Imported> {
    const [user, name] = userAnd(IMPORT_FORM, id);
    const problem = sieveNameProblem(name);
    if (problem) refuse(IMPORT_FORM, id, `the script name ${problem}`);
    const found = await client.inUserTurn(user, "SieveScript import", async (c) => {
        const info = (await c.sieveList()).find((s) => s.name === name);
        if (!info) return undefined;
        const script = await c.sieveGet(name);
        return script === undefined ? undefined : { script, active: info.active };
    });
    if (!found) notFound(IMPORT_FORM, user, `Sieve script ${JSON.stringify(name)}`);
    if (!sieveReadable(found.script))
        refuse(IMPORT_FORM, id, "Dovecot cannot send this script back intact (a character across 8 KiB)");
    const inputs = { user, name, script: found.script, active: found.active, adopt: false };
    return {
        id,
        props: { ...inputs, endpoint: serverIdentity(undefined) },
        inputs,
        warnings: await spellingWarnings(IMPORT_FORM, client, user, undefined, undefined),
    };
}
