#!/usr/bin/env bash
# Installs everything the tests, the demo and the benchmark need that the repo cannot carry, so that
# `npm test` works on a fresh clone (it runs this first, as pretest). Each step is skipped when its
# result is already there, so it costs a second once everything is installed:
# - Dovecot 2.3 from Debian with Pigeonhole (Sieve) and the SQLite driver (started per test by the
#   harness, never as a system service);
# - the npm packages, which include Node 24 (used by every npm script);
# - the Pulumi CLI and its Node.js language host, built once per machine (scripts/install-pulumi.sh);
# - the Python, YAML and Go language hosts and a Python virtualenv (scripts/install-langhosts.sh);
# - with DOVECOT_VERSION=2.4, a Debian 13 root holding Dovecot 2.4 (scripts/install-dovecot24.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "install-deps: $*" >&2; }

# dovecot-core also holds dovecot-lda and the acl and quota plugins; dovecot-sieve is Pigeonhole (the
# Sieve plugin for LDA and doveadm's sieve commands), which the plugin tests need; dovecot-sqlite is the
# SQL user database's SQLite driver, which the user-database tests need (test/server/users.test.ts).
packages=()
if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null || [ ! -x /usr/lib/dovecot/imap ] ||
  [ ! -x /usr/lib/dovecot/dovecot-lda ]; then
  packages+=(dovecot-core dovecot-imapd)
fi
if [ ! -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] ||
  [ ! -f /usr/lib/dovecot/modules/doveadm/lib10_doveadm_sieve_plugin.so ]; then
  packages+=(dovecot-sieve)
fi
if [ ! -f /usr/lib/dovecot/modules/auth/libdriver_sqlite.so ]; then
  packages+=(dovecot-sqlite)
fi
if [ ${#packages[@]} -gt 0 ]; then
  log "installing ${packages[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages try to start the system service; there is none to start here, and we do not want one.
  apt-get install -y -qq "${packages[@]}" >&2 || true
  command -v dovecot >/dev/null || { log "dovecot did not install"; exit 1; }
  [ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] || { log "dovecot-sieve did not install"; exit 1; }
  [ -f /usr/lib/dovecot/modules/auth/libdriver_sqlite.so ] || { log "dovecot-sqlite did not install"; exit 1; }
fi

if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
fi

bash scripts/install-pulumi.sh >/dev/null
# The Python, YAML and Go language hosts and a Python virtualenv, for the programs that use the
# `dovecot` provider plugin (examples/yaml, examples/python, examples/go and their tests).
bash scripts/install-langhosts.sh >/dev/null

if [ "${DOVECOT_VERSION:-2.3}" = "2.4" ]; then
  bash scripts/install-dovecot24.sh >/dev/null
fi
