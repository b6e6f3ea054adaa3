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
