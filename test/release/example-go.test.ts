// examples/go as a user runs it, through the real CLI and the dovecot provider plugin, against two
// sandbox servers (the default one and a second one through an explicit provider): see
// example-languages.ts for the scenario. The Go language host builds the program with `go build` before
// each run; the first build on a machine (the Pulumi Go SDK and its dependencies) takes minutes.
import { describeLanguageExample } from "./example-languages";

jest.setTimeout(600_000);

describeLanguageExample("go");
