// 0.1.0 wrote `require("pulumi-dovecot/shims/reload")` into the state of every Reload: kept as an alias
// of serialized/reload so that those stacks still refresh, update and destroy.
import provider = require("../serialized/reload");

export = provider;
