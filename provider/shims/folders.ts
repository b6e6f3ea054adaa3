// 0.1.0 wrote `require("pulumi-dovecot/shims/folders")` into the state of every FolderSet: kept as an alias
// of serialized/folders so that those stacks still refresh, update and destroy.
import provider = require("../serialized/folders");

export = provider;
