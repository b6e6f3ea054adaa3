#!/usr/bin/env bash
# Writes the Python, Go and Node.js SDKs of the `dovecot` package from schema.json (see
# scripts/schema.ts) with sdkgen/ (Pulumi's own code generators, called in-process):
#
#   bash scripts/gen-sdk.sh [OUT]      # OUT defaults to sdk/: writes OUT/python, OUT/go, OUT/nodejs
#
# Each of the three folders is emptied and rewritten; the same schema gives byte-identical files (the
# test test/unit/sdk.test.ts regenerates them into a temporary folder and compares with sdk/).
# SCHEMA=<file> takes another schema. sdkgen is built with `go build` (its packages come from the Go
# build cache after the first build: about 2 minutes cold, seconds warm) and the binary is kept in
# .cache/sdkgen/, keyed by the hash of sdkgen's sources and the Go version, so an unchanged sdkgen is
# not even linked again. Then `go mod tidy` completes the Go SDK's go.mod (the requirements its code
# imports, the go directive its dependencies need) and writes its go.sum, so that `go build ./...` works
# in the folder as it is: the module graph is fixed by the versions go.mod pins, so the files are the same
# on every run (modules not yet in Go's module cache come from the Go module proxy). Prints nothing on
# stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/sdk}"
SCHEMA="${SCHEMA:-$ROOT/schema.json}"

log() { echo "gen-sdk: $*" >&2; }
fail() { echo "gen-sdk: error: $*" >&2; exit 1; }

command -v go >/dev/null || fail "Go $(awk '/^go /{print $2}' "$ROOT/sdkgen/go.mod") or newer is required to build sdkgen/ (its go.mod says so), and go is not on PATH"
[ -f "$SCHEMA" ] || fail "no schema at $SCHEMA (write it with: npm run schema)"

# GOFLAGS=-mod=mod: resolve sdkgen's go.mod as written (its go.sum pins every module).
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
key=$(cat "$ROOT/sdkgen/go.mod" "$ROOT/sdkgen/go.sum" "$ROOT/sdkgen/main.go" <(go version) | sha256sum | cut -c1-16)
bin="$ROOT/.cache/sdkgen/sdkgen-$key"
if [ ! -x "$bin" ]; then
  log "building sdkgen ($bin)"
  mkdir -p "$ROOT/.cache/sdkgen"
  rm -f "$ROOT"/.cache/sdkgen/sdkgen-*
  (cd "$ROOT/sdkgen" && go build -trimpath -o "$bin.tmp.$$" .)
  mv "$bin.tmp.$$" "$bin"
fi

mkdir -p "$OUT"
"$bin" -schema "$SCHEMA" -python "$OUT/python" -go "$OUT/go" -nodejs "$OUT/nodejs"
(cd "$OUT/go" && go mod tidy >&2) || fail "go mod tidy of the Go SDK ($OUT/go) failed (see above)"
