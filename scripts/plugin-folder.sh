#!/usr/bin/env bash
# Writes dist/plugin/, the folder a Pulumi project names to run this checkout's `dovecot` provider
# plugin (`npm run build` runs this after tsc):
#
#   plugins:
#       providers:
#           - name: dovecot
#             version: 0.2.0
#             path: /path/to/pulumi-dovecot/dist/plugin
#
# It holds one executable, pulumi-resource-dovecot, which runs dist/provider/plugin/main.js with the
# Node.js that `npm install` put in node_modules/.bin (Node 24; `node` from PATH if that is missing), so
# neither the plugin nor Node.js has to be on PATH. The engine takes a plugin on PATH before installed
# ones and says so on every load ("using pulumi-resource-dovecot from $PATH"); a plugin named in
# Pulumi.yaml comes before both, without a warning.
#
# The folder is made anew on every build: the YAML language host caches a plugin's schema beside its
# folder (dist/schema-dovecot-<version>-.json) and keeps it while the folder is older than the cache, so
# a new folder makes it read the schema of the new build.
set -euo pipefail
dist="$(cd "$(dirname "$0")/.." && pwd)/dist"
rm -rf "$dist/plugin.new"
mkdir -p "$dist/plugin.new"
cat >"$dist/plugin.new/pulumi-resource-dovecot" <<'LAUNCHER'
#!/bin/sh
# Written by scripts/plugin-folder.sh: the dovecot provider plugin of this checkout.
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
main="$root/dist/provider/plugin/main.js"
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node=node
if [ ! -f "$main" ]; then
    echo "pulumi-resource-dovecot: $main is missing: run \`npm install && npm run build\` in $root" >&2
    exit 1
fi
exec "$node" "$main" "$@"
LAUNCHER
chmod +x "$dist/plugin.new/pulumi-resource-dovecot"
rm -rf "$dist/plugin"
mv "$dist/plugin.new" "$dist/plugin"
