// What a resource kind is: everything about it in one definition, which its folder under
// provider/kinds/ holds and provider/kinds/list.ts lists. The dispatcher, the plugin, imports, the schema,
// the SDKs, the docs pages, the package's classes and the tests' tables are all read off these.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { DoveadmClient } from "../client/client";

/** What an import reads: the id to record, the outputs and the inputs the program will declare. */
export interface Imported {
    id: string;
    props: Record<string, unknown>;
    inputs: Record<string, unknown>;
    /** What the person importing should know (said as warnings): another spelling of the same thing. */
    warnings?: string[];
}

/** How `pulumi import` names one of a kind, and how it is read. */
export interface ImportId {
    /** The id's form, as messages and the docs say it: `<user>/<mailbox name>`. */
    form: string;
    /** What is recorded for it, and how (`recorded by its GUID`), for the docs. */
    note?: string;
    /** Reads what `id` names on the server of `client` (nothing is changed). */
    read(id: string, client: DoveadmClient): Promise<Imported>;
}

/** One resource kind. */
export interface KindDefinition<
    In extends z.ZodRawShape = z.ZodRawShape,
    Out extends z.ZodRawShape = z.ZodRawShape,
> {
    /** Its name: the class a program constructs, the type token's last part (`dovecot:index:<name>`). */
    readonly name: string;
    /** Its folder under provider/kinds/ (where its notes for the docs are). */
    readonly folder: string;
    /** What it is, in a sentence or a short paragraph of Markdown. */
    readonly description: string;
    /** Its inputs, each described (`.meta({ description })`), for a server whose hierarchy separator is `separator`. */
    readonly inputs: (separator: string) => In;
    /** What its outputs hold besides the inputs, each described (for a server whose separator is `separator`). */
    readonly outputs: (separator: string) => Out;
    /** Inputs the class sets itself, which no program passes (not in the schema or the Args type). */
    readonly internal: readonly string[];
    /** Outputs that are markers for the next run, not for programs (not in the schema or the class). */
    readonly hiddenOutputs?: readonly string[];
    /** The names of the object types at paths of its properties (`folders[]`: `Folder`), for the schema. */
    readonly objectTypes?: Readonly<Record<string, string>>;
    /** True when the GUIDs of the folders it makes carry a tag derived from the resource (ownership.ts). */
    readonly tagsGuids: boolean;
    /** The provider methods: what each Pulumi method means for it. */
    readonly handler: pulumi.dynamic.ResourceProvider;
    /** How `pulumi import` names it. */
    readonly importId: ImportId;
    /**
     * What its example program does (a title). The program itself, in every language, is in its
     * folder's example/ (index.ts, __main__.py, main.go, Pulumi.yaml), which the schema and the docs
     * show and a test builds against the SDKs.
     */
    readonly example: string;
}

/** Any kind. */
export type AnyKind = KindDefinition<z.ZodRawShape, z.ZodRawShape>;

/** A kind's definition, checked against KindDefinition and kept with its exact types. */
export function defineKind<In extends z.ZodRawShape, Out extends z.ZodRawShape>(
    definition: KindDefinition<In, Out>,
): KindDefinition<In, Out> {
    return definition;
}

/** True for a value that is a kind's definition (what kinds/<folder>/definition.ts exports). */
export function isKind(value: unknown): value is AnyKind {
    return (
        typeof value === "object" &&
        value !== null &&
        typeof (value as AnyKind).name === "string" &&
        typeof (value as AnyKind).inputs === "function" &&
        typeof (value as AnyKind).handler === "object"
    );
}

/** The input shape of kind D. */
export type InputShape<D extends AnyKind> = ReturnType<D["inputs"]>;

/** What a program passes for kind D, before checks and defaults. */
export type InputsOf<D extends AnyKind> = z.input<z.ZodObject<InputShape<D>>>;

/** What the outputs of kind D hold: its checked inputs and what it adds. */
export type OutputsOf<D extends AnyKind> = z.output<z.ZodObject<InputShape<D> & ReturnType<D["outputs"]>>>;

/** A description and nothing else, for `.meta()`. */
export function described(description: string): { description: string } {
    return { description };
}
