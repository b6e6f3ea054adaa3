import { DoveadmNoUserError } from "../client/errors";

/**
 * A user the server does not know (exit 67), explained for a resource of kind `what`. Reported
 * rather than treated as "gone": a user database that is only unreachable must not make Pulumi
 * forget (and later re-create) everything the user has.
 */
export function unknownUser(error: DoveadmNoUserError, what: string): DoveadmNoUserError {
    return new DoveadmNoUserError(
        "DOVEADM_NO_USER",
        error.context,
        "the user does not exist in the server's user database (exit 67)",
        `Create the user on the server first, or correct the user name. If the user was removed on purpose, remove this ${what} from the program and run \`pulumi state delete\` for it; if the user database is only unreachable, fix it and run again.`,
        { exitCode: error.exitCode },
    );
}
