#!/usr/bin/env bash
# Packs a Node.js provider plugin into one executable that runs without Node.js installed: bundles the
# entry file and everything it requires into one CommonJS file with esbuild, then makes a Node.js
# single executable application (SEA) from it with the Node 24 of node_modules/.bin/node
# (`--experimental-sea-config`) and postject.
#
#   bash scripts/build-plugin-binary.sh ENTRY.js OUTPUT [--tarball VERSION]
#
# With --tarball VERSION it also writes OUTPUT's folder/pulumi-resource-dovecot-vVERSION-linux-ARCH.tar.gz
# (ARCH: amd64 or arm64, that of the Node binary) holding the executable at its root under the name
# `pulumi-resource-dovecot`: the asset name the engine downloads from pluginDownloadURL, and the layout
# `pulumi plugin install resource dovecot VERSION --file TARBALL` takes. Linux only (an ELF executable,
# binutils' strip); on other systems install the npm package and put its bin on PATH instead.
#
# esbuild and postject are found in node_modules/.bin of this repo or of $PLUGIN_BUILD_TOOLS (a folder
# where `npm install esbuild postject` was run). NODE_FOR_SEA overrides the Node binary copied into the
# executable (it must be the one that writes the blob). STRIP=0 keeps the Node binary's symbols and debug
# info (about 18 MB more).
# The executable needs glibc >= 2.28 (that of the Node binary), as the official Node.js builds do.
set -euo pipefail

log() { echo "build-plugin-binary: $*" >&2; }
fail() { echo "build-plugin-binary: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || [ $# -eq 4 ] || fail "usage: $0 ENTRY.js OUTPUT [--tarball VERSION]"
entry=$1
out=$2
tar_version=
if [ $# -eq 4 ]; then
  [ "$3" = "--tarball" ] || fail "usage: $0 ENTRY.js OUTPUT [--tarball VERSION]"
  tar_version=${4#v}
fi
[ -f "$entry" ] || fail "no entry file $entry"

repo=$(cd "$(dirname "$0")/.." && pwd)
tool() {
  local name=$1 dir
  for dir in "$repo/node_modules/.bin" ${PLUGIN_BUILD_TOOLS:+"$PLUGIN_BUILD_TOOLS/node_modules/.bin"}; do
    if [ -x "$dir/$name" ]; then
      echo "$dir/$name"
      return
    fi
  done
  fail "$name not found: add it to devDependencies, or set PLUGIN_BUILD_TOOLS to a folder with it installed"
}
esbuild=$(tool esbuild)
postject=$(tool postject)
node=${NODE_FOR_SEA:-$repo/node_modules/.bin/node}
[ -x "$node" ] || fail "no Node binary at $node (npm install puts Node 24 there)"
node=$(readlink -f "$node")
platform=$("$node" -p 'process.platform')
[ "$platform" = linux ] || fail "builds Linux executables only (this Node is for $platform)"
case $("$node" -p 'process.arch') in
  x64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  *) fail "no release asset name for the architecture $("$node" -p 'process.arch')" ;;
esac
"$node" --help | grep -q -- '--experimental-sea-config' || fail "$node has no single executable application support"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "bundling $entry with $("$esbuild" --version | head -1) ($("$node" --version))"
# --platform=node keeps Node's built-in modules external; everything else is inlined. A require that
# esbuild cannot resolve at build time is an error here rather than a crash of the executable.
"$esbuild" "$entry" --bundle --platform=node --format=cjs \
  --target="node$("$node" -p 'process.versions.node.split(".")[0]')" \
  --outfile="$work/bundle.js" --log-level=warning --legal-comments=none

cat >"$work/sea-config.json" <<JSON
{
  "main": "$work/bundle.js",
  "output": "$work/sea.blob",
  "disableExperimentalSEAWarning": true,
  "useCodeCache": true
}
JSON
log "writing the SEA blob"
(cd "$work" && "$node" --experimental-sea-config sea-config.json >&2)

mkdir -p "$(dirname "$out")"
cp "$node" "$work/exe"
chmod u+w "$work/exe"
if [ "${STRIP:-1}" != 0 ]; then
  command -v strip >/dev/null || fail "strip (binutils) not found; install it or set STRIP=0"
  # Drops the symbol tables and debug info (about 18 MB); native crash stacks lose symbol names.
  strip --strip-all "$work/exe"
fi
log "injecting the blob with postject"
"$postject" "$work/exe" NODE_SEA_BLOB "$work/sea.blob" \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >&2
mv "$work/exe" "$out"
chmod 0755 "$out"
log "wrote $out ($(du -h "$out" | cut -f1))"

if [ -n "$tar_version" ]; then
  tarball="$(dirname "$out")/pulumi-resource-dovecot-v$tar_version-linux-$arch.tar.gz"
  mkdir "$work/tar"
  cp "$out" "$work/tar/pulumi-resource-dovecot"
  tar -C "$work/tar" -czf "$tarball" pulumi-resource-dovecot
  log "wrote $tarball ($(du -h "$tarball" | cut -f1))"
fi
