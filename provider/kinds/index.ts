// KINDS: the definition of every kind that kinds/list.ts lists, in its order. Only the definitions
// are loaded (kinds/<folder>/definition.ts), never the resource classes, so that the dispatcher and
// the plugin do not load @pulumi/pulumi.
import { AnyKind, isKind } from "./kind";
import { KIND_FOLDERS, KIND_LOADERS } from "./list";

/** The definition that kinds/<folder>/definition.ts exports. */
function definitionIn(folder: keyof typeof KIND_LOADERS): AnyKind {
    const module = KIND_LOADERS[folder]() as Record<string, unknown>;
    const found = Object.values(module).filter(isKind);
    if (found.length !== 1 || found[0]?.folder !== folder)
        throw new Error(
            `provider/kinds/${folder}/definition.ts must export exactly one kind definition whose folder is "${folder}"`,
        );
    return found[0];
}

/** Every kind's definition, in the order kinds/list.ts lists them. */
export const KINDS: readonly AnyKind[] = KIND_FOLDERS.map(definitionIn);

/** The kind called `name`, or undefined. */
export function kindNamed(name: string): AnyKind | undefined {
    return KINDS.find((kind) => kind.name === name);
}
