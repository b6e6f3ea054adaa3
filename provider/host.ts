// 0.1.0's provider objects load `pulumi-dovecot/host` (or this file by absolute path) at call time:
// kept as an alias of the dispatcher so that the state those versions wrote keeps working.
export { ResourceKind, dispatch } from "./dispatcher";
