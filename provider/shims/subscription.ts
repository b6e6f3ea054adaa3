// 0.1.0 wrote `require("pulumi-dovecot/shims/subscription")` into the state of every Subscription: kept as an alias
// of serialized/subscription so that those stacks still refresh, update and destroy.
import provider = require("../serialized/subscription");

export = provider;
