// examples/yaml as a user runs it, through the real CLI and the dovecot provider plugin, against two
// sandbox servers (the default one and a second one through an explicit provider): see
// example-languages.ts for the scenario.
import { describeLanguageExample } from "./example-languages";

jest.setTimeout(300_000);

describeLanguageExample("yaml");
