// The dynamic resource class of a kind, made from its definition: its Args are the kind's zod inputs
// (less the ones the class sets itself) as Pulumi Inputs, its properties the kind's outputs as Pulumi
// Outputs, so neither is written twice. The class passes the program's inputs as they are, adds the
// `creator` tag of the GUIDs its folders get (for the kinds that tag them) and its name for check()'s
// messages (which check() drops), and serves them through the kind's provider object: the one a
// release wrote into state for the kinds it served (serialized/table.ts), else its folder's.
import * as pulumi from "@pulumi/pulumi";
import { NAME_KEY } from "../check";
import { creatorOf } from "../ownership";
import { releasedProviderObject } from "../serialized/table";
import { checkStackConfiguration } from "./configuration";
import { AnyKind, InputsOf, OutputsOf } from "./kind";

/** `T` with every property a Pulumi Input, optional ones staying optional. */
type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The Args of kind D: its inputs as a program passes them, less those the class sets. */
export type ArgsOf<D extends AnyKind> = Inputs<Omit<InputsOf<D>, "creator">>;

/** The properties of kind D's resources: every output, as a Pulumi Output. */
export type PropertiesOf<D extends AnyKind> = {
    readonly [K in Exclude<keyof OutputsOf<D>, "pending">]-?: pulumi.Output<OutputsOf<D>[K]>;
};

/** The constructor of kind D's class: Args may be left out when no input is required. */
export type ResourceClass<D extends AnyKind> = new (
    name: string,
    ...rest: object extends ArgsOf<D>
        ? [args?: ArgsOf<D>, opts?: pulumi.CustomResourceOptions]
        : [args: ArgsOf<D>, opts?: pulumi.CustomResourceOptions]
) => pulumi.dynamic.Resource & PropertiesOf<D>;

/** The module that holds a kind's provider object when no release served it (kinds/<folder>/provider). */
function providerObjectOf(kind: AnyKind): pulumi.dynamic.ResourceProvider {
    const released = releasedProviderObject(kind.name);

    return (released ?? require(`./${kind.folder}/provider`)) as pulumi.dynamic.ResourceProvider;
}

/** The dynamic resource class of `kind`. */
export function resourceClass<D extends AnyKind>(kind: D): ResourceClass<D> {
    const provider = providerObjectOf(kind);
    // Every output is a property of the resource (undefined inputs are not sent).
    const outputs = [...Object.keys(kind.inputs("/")), ...Object.keys(kind.outputs("/"))].filter(
        (key) => !(kind.hiddenOutputs ?? []).includes(key),
    );
    class KindResource extends pulumi.dynamic.Resource {
        constructor(name: string, args: object = {}, opts?: pulumi.CustomResourceOptions) {
            checkStackConfiguration();
            const props: Record<string, unknown> = Object.fromEntries(outputs.map((key) => [key, undefined]));
            Object.assign(props, args);
            // What the GUIDs of the folders it makes start with (see ownership.ts), so that a run whose
            // state was lost knows them. Not a secret; a change of it changes nothing.
            if (kind.tagsGuids)
                props.creator = creatorOf(kind.name, pulumi.getProject(), pulumi.getStack(), name);
            // For check()'s messages (which resource declares what); check() drops it, so never stored.
            props[NAME_KEY] = name;
            super(provider, name, props, opts, "dovecot", kind.name);
        }
    }
    Object.defineProperty(KindResource, "name", { value: kind.name });
    return KindResource as unknown as ResourceClass<D>;
}
