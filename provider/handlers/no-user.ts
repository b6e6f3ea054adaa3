import { DoveadmNoUserError } from "../client/errors";

/**
 * A user the server does not know (exit 67), explained for a resource of kind `what`. Reported
 * rather than treated as "gone": a user database that is only unreachable must not make Pulumi
 * forget (and later re-create) everything the user has. A delete (`operation`) is reported too, with
 * what became of the user's mail: Dovecot cannot open the mail of a user its user database does not
 * know, so nothing was deleted, and the way to let the stack forget the resource is the person's
 * choice (keep or archive the mail first), not the provider's.
 */
export function unknownUser(
    error: DoveadmNoUserError,
    what: string,
    operation?: "delete",
): DoveadmNoUserError {
    if (operation === "delete") {
        return new DoveadmNoUserError(
            "DOVEADM_NO_USER",
            error.context,
            "the user does not exist in the server's user database (exit 67), and Dovecot cannot open the mail of a user it does not know: nothing was deleted, and the user's folders and messages stay as they are in the user's mail directory on the server",
            `If the user left on purpose, keep or archive that directory (the user's home, which getUser reported while the user existed), then let the stack forget this ${what} without touching the server: \`pulumi state delete <its URN>\` (\`pulumi stack --show-urns\` lists them). A program can have departed users' resources forgotten with no such step by declaring them with the retainOnDelete resource option. If the user database is only unreachable, fix it and run again.`,
            { exitCode: error.exitCode },
        );
    }
    return new DoveadmNoUserError(
        "DOVEADM_NO_USER",
        error.context,
        "the user does not exist in the server's user database (exit 67)",
        `Create the user on the server first, or correct the user name. If the user was removed on purpose, remove this ${what} from the program and run \`pulumi state delete\` for it; if the user database is only unreachable, fix it and run again.`,
        { exitCode: error.exitCode },
    );
}
