// jest's globalSetup: names the suite, so that every process a test starts carries a mark that the
// teardown can look for (see processes.ts). The workers inherit the name from this process.
import { randomUUID } from "node:crypto";
import { SUITE } from "./processes";

export default function globalSetup(): void {
    process.env[SUITE] = `suite-${randomUUID()}`;
}
