import { inspect } from "node:util";
import { DoveadmError } from "../../provider/client/errors";

/** The DoveadmError a call fails with; fails the test if the call succeeds or throws anything else. */
export async function failure(promise: Promise<unknown>): Promise<DoveadmError> {
    try {
        await promise;
    } catch (error) {
        if (error instanceof DoveadmError) return error;
        throw error;
    }
    throw new Error("expected the call to fail");
}

/** What `call` throws (undefined when it returns), for looking at the error's class and message. */
export function thrown(call: () => unknown): unknown {
    try {
        call();
    } catch (error) {
        return error;
    }
    return undefined;
}

/** The message of the error `call` throws; "" when it returns. */
export function thrownMessage(call: () => unknown): string {
    const error = thrown(call);
    return error instanceof Error
        ? error.message
        : error === undefined
          ? ""
          : typeof error === "string"
            ? error
            : inspect(error);
}
