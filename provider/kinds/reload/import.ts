// `pulumi import` of a Reload: the id a person types, read from the provider's server (see
// handlers/import-ids.ts for what every kind's import shares).
import { DoveadmClient } from "../../client/client";
import { Imported } from "../kind";

/** The id's form, for messages and the docs. */
export const IMPORT_FORM = {
    name: "Reload",
    form: "any name, such as config (nothing is read: the reload is recorded as done)",
};

/** Reads the Reload that `id` names on the server of `client` (nothing is changed). */
export async function readReload(id: string, _client: DoveadmClient): Promise<Imported> {
    const inputs = { triggers: [] };
    return {
        id: `reload-${id}`,
        props: { ...inputs, reloaded: { default: new Date().toISOString() } },
        inputs,
    };
}
