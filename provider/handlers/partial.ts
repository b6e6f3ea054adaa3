// An error after the object was made: Pulumi records the resource with `id` and `properties`, so the
// next `up` goes on from there (an update) instead of forgetting a mailbox that exists.

/** A create that made the object but failed a later step. */
export class PartialFailureError extends Error {
    /** The id of the object that exists. */
    readonly id: string;
    /** Its properties as they are on the server. */
    readonly properties: Record<string, unknown>;
    /** The messages of the failures, for the engine. */
    readonly reasons: string[];

    constructor(id: string, properties: object, cause: unknown) {
        const message = cause instanceof Error ? cause.message : String(cause);
        super(message, { cause });
        this.name = "PartialFailureError";
        this.id = id;
        this.properties = { ...properties };
        this.reasons = [message];
    }
}
