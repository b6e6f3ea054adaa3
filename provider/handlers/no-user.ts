import { DoveadmNoUserError } from "../client/errors";
import { log } from "../engine";

/**
 * A user the server does not know (exit 67), explained for a resource of kind `what`. Reported
 * rather than treated as "gone" when reading or changing: a user database that is only unreachable
 * must not make a refresh forget (and a later run re-create) everything the user has.
 */
export function unknownUser(error: DoveadmNoUserError, what: string): DoveadmNoUserError {
    return new DoveadmNoUserError(
        "DOVEADM_NO_USER",
        error.context,
        "the user does not exist in the server's user database (exit 67)",
        `Create the user on the server first, or correct the user name. If the user was removed on purpose, remove this ${what} from the program: the next \`pulumi up\` (without --refresh, whose refresh reads it first) takes it out of the stack and leaves the user's mail on the server; or forget it now with \`pulumi state delete <its URN>\`. If the user database is only unreachable, fix it and run again.`,
        { exitCode: error.exitCode },
    );
}

/**
 * The delete of a resource whose user the server's user database no longer knows (exit 67): a user
 * who left. Dovecot cannot open the mail of a user it does not know, so nothing can be deleted, and
 * nothing is: the resource leaves the stack (so that removing a departed user from the program
 * converges, rather than failing at every run), and a warning says where the mail stays and how to
 * keep or archive it (docs/guides/users-from-dovecot.md).
 */
export async function departedUser(error: DoveadmNoUserError, what: string): Promise<void> {
    const { user, mailbox } = error.context;
    // The mailboxes the failed command named, without a list's pattern (a FolderSet looks with "*").
    const named = mailbox === undefined ? [] : typeof mailbox === "string" ? [mailbox] : [...mailbox];
    const names = named.filter((name) => !/[*%]/.test(name));
    const of =
        names.length === 1
            ? ` ${JSON.stringify(names[0])}`
            : names.length > 1
              ? ` (${names.length} folders)`
              : "";
    await log(
        "warning",
        `${what}${of} of user ${JSON.stringify(user ?? "")}: the user is no longer in the server's user database (doveadm exit 67), and Dovecot cannot open the mail of a user it does not know, so nothing was deleted: the resource leaves the stack, and the user's folders and messages stay as they are in the user's mail directory on the server (their home, which getUser reported while the user existed). Archive or remove that directory by hand if the user left for good; if the user comes back, bring the folders back into the stack with \`pulumi import\`.`,
    );
}
