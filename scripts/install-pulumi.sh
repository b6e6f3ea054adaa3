#!/usr/bin/env bash
# Builds the Pulumi CLI and its Node.js language host from the Go module proxy, once per machine
# and version, into a cache outside the repo (the CLI is on neither npm nor Debian here).
# Prints the directory holding the binaries on its last line of stdout.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
# The Node.js language host has had its own Go module since 2023, and the proxy serves no version of
# it; v3.68.0 is the last sdk/v3 release that still carries it as a package. The host only starts
# `node @pulumi/pulumi/cmd/run` and speaks the language-host gRPC protocol, which the engine keeps
# backward compatible, so an older host works with the current engine and SDK (the lifecycle tests
# prove it on every run).
LANGHOST_SDK_VERSION="${LANGHOST_SDK_VERSION:-v3.68.0}"
CACHE_ROOT="${PULUMI_DOVECOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-dovecot}"
BIN_DIR="$CACHE_ROOT/pulumi-$PULUMI_VERSION-langhost-$LANGHOST_SDK_VERSION/bin"

log() { echo "install-pulumi: $*" >&2; }

if [ -x "$BIN_DIR/pulumi" ] && [ -x "$BIN_DIR/pulumi-language-nodejs" ]; then
  log "using cached build in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { log "Go is required to build the Pulumi CLI (apt-get install golang-go)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$BIN_DIR.tmp"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

log "building pulumi $PULUMI_VERSION (10-20 minutes the first time on 2 cores)"
mkdir -p "$work/cli" && cd "$work/cli"
go mod init pulumi-cli-build >/dev/null 2>&1
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" \
  github.com/atotto/clipboard@v0.1.4 >&2
go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
go mod tidy -e >&2 || true
go build -o "$BIN_DIR.tmp/pulumi" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2

log "building pulumi-language-nodejs from sdk/v3 $LANGHOST_SDK_VERSION"
mkdir -p "$work/lang" && cd "$work/lang"
go mod init pulumi-langhost-build >/dev/null 2>&1
go get "github.com/pulumi/pulumi/sdk/v3@$LANGHOST_SDK_VERSION" >&2
go build -o "$BIN_DIR.tmp/pulumi-language-nodejs" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_SDK_VERSION" \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs >&2

rm -rf "$BIN_DIR" && mv "$BIN_DIR.tmp" "$BIN_DIR"
log "built into $BIN_DIR"
echo "$BIN_DIR"
