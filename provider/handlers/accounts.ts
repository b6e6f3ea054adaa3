// Whether two user names are one account on the server. A user database may resolve several
// spellings to one account (case-insensitive lookups, aliases), and replacing a folder because its
// user's spelling changed would delete it (with its mail, under forceDestroy) and create it empty.
import { DoveadmClient } from "../client/client";
import { DoveadmError, DoveadmNoUserError } from "../client/errors";

/**
 * True when the server resolves `a` and `b` to the same account: their INBOXes have the same GUID
 * (mailbox GUIDs are unique, and every user has an INBOX). False when either user is unknown.
 */
export async function sameAccount(client: DoveadmClient, a: string, b: string): Promise<boolean> {
    try {
        const [first, second] = await Promise.all([
            client.findStatus(a, "INBOX"),
            client.findStatus(b, "INBOX"),
        ]);
        return first !== undefined && second !== undefined && first.guid === second.guid;
    } catch (error) {
        if (error instanceof DoveadmNoUserError) return false;
        if (error instanceof DoveadmError) {
            error.message = `could not tell whether the users ${JSON.stringify(a)} and ${JSON.stringify(b)} are the same account, which decides whether changing the user replaces the resource: ${error.message}`;
        }
        throw error;
    }
}
