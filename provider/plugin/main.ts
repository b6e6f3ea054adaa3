#!/usr/bin/env node
// The entry point of `pulumi-resource-dovecot`: serves the provider on a free port of 127.0.0.1 and
// prints the port, which is how a plugin tells the engine where it listens. The engine's address (its
// first argument) is where the provider logs, and names the engine run its claims belong to.
import schema from "../../schema.json";
import { setEngineAddress } from "../engine";
import { serve } from "./server";

setEngineAddress(process.argv.slice(2).find((arg) => !arg.startsWith("-")));

serve(schema.version, JSON.stringify(schema)).then(
    (port) => console.log(String(port)),
    (error: unknown) => {
        console.error(`pulumi-resource-dovecot: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    },
);
