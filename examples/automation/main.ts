// The command line of the example: what a sign-up service would call from its own handlers.
//
//   node dist/main.js provision <user> [folder ...]   default folders: Archive, Receipts
//   node dist/main.js close <user>
import { closeAccount, provisionUser } from "./provision";

const USAGE = "usage: node dist/main.js provision <user> [folder ...] | close <user>";

async function main(argv: string[]): Promise<number> {
    const [command, user, ...folders] = argv;
    if (
        !user ||
        (command !== "provision" && command !== "close") ||
        (command === "close" && folders.length)
    ) {
        console.error(USAGE);
        return 2;
    }
    // Progress goes to stderr, so that stdout carries only the result.
    const onOutput = (text: string) => process.stderr.write(text);
    if (command === "provision") {
        const result = await provisionUser(user, folders.length ? folders : ["Archive", "Receipts"], {
            onOutput,
        });
        console.log(JSON.stringify(result, null, 2));
    } else {
        const closed = await closeAccount(user, { onOutput });
        console.log(closed ? `closed ${user}` : `${user} has no stack: nothing to do`);
    }
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exitCode = 1;
    },
);
