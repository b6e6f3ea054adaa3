#!/usr/bin/env bash
# Makes a Debian 13 (trixie) root holding Dovecot 2.4 with debootstrap, once per machine, so the tests
# can run 2.4 beside the host's 2.3 without installing Debian 13 packages on the host. The root is
# cached outside the clone (like the Pulumi CLI) and linked into the project's ignored .cache/.
# Prints the root's path on its last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_ROOT="${PULUMI_DOVECOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-dovecot}"
ROOT="$CACHE_ROOT/debian13-dovecot24"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# dovecot-core holds dovecot-lda and the acl and quota plugins; dovecot-sieve is Pigeonhole (a
# dependency of dovecot-core in Debian 13, named here so that it never depends on that); dovecot-sqlite
# is the SQL user database's SQLite driver (test/server/users.test.ts).
PACKAGES=(dovecot-core dovecot-imapd dovecot-sieve dovecot-sqlite)
log() { echo "install-dovecot24: $*" >&2; }
# The PACKAGES not installed in the root.
missing() {
  local package
  for package in "${PACKAGES[@]}"; do
    chroot "$ROOT" dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' ||
      echo "$package"
  done
}

if [ ! -x "$ROOT/usr/sbin/dovecot" ]; then
  command -v debootstrap >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq debootstrap >&2
  }
  log "debootstrap trixie with ${PACKAGES[*]} into $ROOT (a few minutes, once per machine)"
  rm -rf "$ROOT.tmp"
  mkdir -p "$CACHE_ROOT"
  debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" trixie "$ROOT.tmp" "$MIRROR" >&2
  # Nothing may start as a service inside the root.
  rm -rf "$ROOT.tmp/var/cache/apt/archives/"*.deb
  rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
fi
# A root made before a package joined PACKAGES gets it added in place (apt-get inside the root: 5 to 30
# seconds, most of it `apt-get update`), not rebuilt. policy-rc.d keeps the packages' scripts from
# starting a service, and the private mount namespace takes /proc away again when apt-get is done.
mapfile -t add < <(missing)
if [ ${#add[@]} -gt 0 ]; then
  log "adding ${add[*]} to $ROOT"
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
  unshare --mount --propagation private sh -c '
    mount -t proc proc "$0/proc"
    exec chroot "$0" env DEBIAN_FRONTEND=noninteractive sh -c "
      apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $* && apt-get clean"
  ' "$ROOT" "${add[@]}" >&2
  rm -f "$ROOT/usr/sbin/policy-rc.d"
  mapfile -t add < <(missing)
  [ ${#add[@]} -eq 0 ] || { log "could not add ${add[*]} to $ROOT"; exit 1; }
fi
mkdir -p .cache
ln -sfn "$ROOT" .cache/debian13-dovecot24
log "Dovecot $(chroot "$ROOT" dovecot --version) in $ROOT"
echo "$ROOT"
