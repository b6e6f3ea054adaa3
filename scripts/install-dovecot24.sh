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
log() { echo "install-dovecot24: $*" >&2; }

if [ ! -x "$ROOT/usr/sbin/dovecot" ]; then
  command -v debootstrap >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq debootstrap >&2
  }
  log "debootstrap trixie with dovecot-core and dovecot-imapd into $ROOT (a few minutes, once per machine)"
  rm -rf "$ROOT.tmp"
  mkdir -p "$CACHE_ROOT"
  debootstrap --variant=minbase --include=dovecot-core,dovecot-imapd trixie "$ROOT.tmp" "$MIRROR" >&2
  # Nothing may start as a service inside the root.
  rm -rf "$ROOT.tmp/var/cache/apt/archives/"*.deb
  rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
fi
mkdir -p .cache
ln -sfn "$ROOT" .cache/debian13-dovecot24
log "Dovecot $(chroot "$ROOT" dovecot --version) in $ROOT"
echo "$ROOT"
