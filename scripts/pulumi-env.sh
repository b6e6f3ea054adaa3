# Sourced by the scripts that run Pulumi: puts Node >= 22 (from node_modules), the Pulumi CLI and its
# Node.js language host (built once per machine by install-pulumi.sh) and the dynamic provider shim
# on PATH, and makes Pulumi work offline (file backend chosen by the caller, no update check, no
# plugin downloads). Only Node's own folder goes on PATH, not node_modules/.bin: that holds this
# package's plugin, pulumi-resource-dovecot, which the engine would take before an installed one and
# warn about on every load; a project names dist/plugin in its Pulumi.yaml instead (see README.md).
_pd_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pd_bin="$(bash "$_pd_root/scripts/install-pulumi.sh" | tail -n 1)"
# The dynamic provider plugin is a five-line script shipped in @pulumi/pulumi that resolves the SDK from
# the program's folder; a copy beside the CLI keeps Pulumi from warning about a plugin found on PATH.
if [ ! -x "$_pd_bin/pulumi-resource-pulumi-nodejs" ] && [ -f "$_pd_root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" ]; then
  cp "$_pd_root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$_pd_bin/" && chmod +x "$_pd_bin/pulumi-resource-pulumi-nodejs"
fi
export PATH="$_pd_root/node_modules/node/bin:$_pd_bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-pulumi-dovecot-local}"
export PULUMI_HOME="${PULUMI_HOME:-$_pd_root/.cache/pulumi-home}"
unset _pd_root _pd_bin
