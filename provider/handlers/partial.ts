// An error after the object was made: Pulumi records the resource with `id` and `properties`, so the
// next `up` goes on from there (an update) instead of forgetting a mailbox that exists.

/** The key under which Pulumi keeps the serialized provider among a dynamic resource's properties. */
const PROVIDER_KEY = "__provider";

/** A create or update that made or changed the object but failed a later step. */
export class PartialFailureError extends Error {
    /** The id of the object that exists. */
    readonly id: string;
    /** Its properties as they are on the server, with the serialized provider. */
    readonly properties: Record<string, unknown>;
    /** The messages of the failures, for the engine. */
    readonly reasons: string[];

    /**
     * `inputs` are the engine's inputs of the call (create's `inputs`, update's `news`): the engine
     * records `properties` as they are, and on this error path Pulumi's provider host does not add
     * the serialized provider itself, without which `refresh` and `destroy` could not load it
     * ("code must be a string, not undefined").
     */
    constructor(id: string, properties: object, cause: unknown, inputs: object) {
        const message = cause instanceof Error ? cause.message : String(cause);
        super(message, { cause });
        this.name = "PartialFailureError";
        this.id = id;
        const provider = (inputs as Record<string, unknown>)[PROVIDER_KEY];
        this.properties = { ...properties, ...(provider === undefined ? {} : { [PROVIDER_KEY]: provider }) };
        this.reasons = [message];
    }
}
