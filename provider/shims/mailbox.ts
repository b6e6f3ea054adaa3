// 0.1.0 wrote `require("pulumi-dovecot/shims/mailbox")` into the state of every Mailbox: kept as an alias
// of serialized/mailbox so that those stacks still refresh, update and destroy.
import provider = require("../serialized/mailbox");

export = provider;
