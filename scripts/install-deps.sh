#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmark need and the repo cannot carry: Dovecot 2.3
# from Debian (started per test by the harness, never as a system service) and the npm packages
# (which include Node 24, used by every npm script). The Pulumi CLI comes from install-pulumi.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null || [ ! -x /usr/lib/dovecot/imap ]; then
  echo "install-deps: installing dovecot-core and dovecot-imapd from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages try to start the system service; there is none to start here, and we do not want one.
  apt-get install -y -qq dovecot-core dovecot-imapd >&2 || true
  command -v dovecot >/dev/null || { echo "install-deps: dovecot did not install" >&2; exit 1; }
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
