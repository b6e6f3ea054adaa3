#!/usr/bin/env bash
# Builds the Python, YAML and Go language hosts from the Go module proxy, and a Python virtualenv with
# the Pulumi Python SDK from PyPI, once per machine and version, into a cache outside the repo (next to
# what scripts/install-pulumi.sh builds). They let the engine of scripts/install-pulumi.sh run YAML,
# Python and Go programs against the `dovecot` provider plugin.
# Prints the directory holding the binaries on its last line of stdout; the virtualenv is its sibling
# `venv` (`<dir>/../venv`).
#
# Python programs: the v3.274 engine no longer passes a virtualenv to this old host, so run them with
# `<dir>/../venv/bin` first on PATH (the host's `pulumi-language-python-exec` runs `python` from PATH).
set -euo pipefail

# The Python host is a package of github.com/pulumi/pulumi/sdk/v3 up to v3.79.0 (python/cmd/
# pulumi-language-python); from v3.80.0 it has its own module, which the proxy does not serve.
PYTHON_HOST_SDK_VERSION="${PYTHON_HOST_SDK_VERSION:-v3.79.0}"
# The YAML host builds only against the pulumi pkg/v3 and sdk/v3 versions its own go.mod names
# (v3.206.0 for v1.25.0); with pkg/v3 v3.274.1 it does not compile (plugin API changes), so it is
# built with `go install`, which takes pulumi-yaml's go.mod as it is.
YAML_HOST_VERSION="${YAML_HOST_VERSION:-v1.25.0}"
# The Go host is a package of github.com/pulumi/pulumi/sdk/v3 up to v3.66.0 (go/pulumi-language-go);
# from v3.67.0 it has its own module, which the proxy does not serve.
GO_HOST_SDK_VERSION="${GO_HOST_SDK_VERSION:-v3.66.0}"
# Newest Python SDK that is not newer than the CLI (v3.274.1) and that this old host runs.
PYTHON_SDK_VERSION="${PYTHON_SDK_VERSION:-3.272.0}"
# What the Python SDKs that sdkgen/ writes require besides pulumi (pkg/v3 v3.274.1 codegen: packaging,
# semver; parver for SDKs written by older codegen).
PYTHON_EXTRA_PACKAGES="${PYTHON_EXTRA_PACKAGES:-packaging>=24.0 semver>=2.8.1 parver>=0.2.1}"

CACHE_ROOT="${PULUMI_DOVECOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-dovecot}"
PY_KEY=$(python3 -c 'import sys; print("py%d.%d" % sys.version_info[:2])' 2>/dev/null || echo py-missing)
ROOT="$CACHE_ROOT/langhosts-python-$PYTHON_HOST_SDK_VERSION-yaml-$YAML_HOST_VERSION-go-$GO_HOST_SDK_VERSION-pulumi-py-$PYTHON_SDK_VERSION-$PY_KEY"
BIN_DIR="$ROOT/bin"
VENV="$ROOT/venv"

log() { echo "install-langhosts: $*" >&2; }
fail() { echo "install-langhosts: error: $*" >&2; exit 1; }

complete() {
  [ -x "$BIN_DIR/pulumi-language-python" ] && [ -x "$BIN_DIR/pulumi-language-python-exec" ] &&
    [ -x "$BIN_DIR/pulumi-language-yaml" ] && [ -x "$BIN_DIR/pulumi-language-go" ] &&
    [ -f "$VENV/.complete" ]
}

if complete; then
  log "using cached build in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || fail "Go is required to build the language hosts (apt-get install golang-go)"
command -v python3 >/dev/null || fail "python3 is required for the Python virtualenv"
python3 -c 'import venv, ensurepip' 2>/dev/null ||
  fail "python3 has no venv/ensurepip module (Debian: apt-get install python3-venv)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$BIN_DIR"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
timed() { # timed LABEL CMD...: runs CMD in a subshell with errexit on, fails on error, logs its wall time
  local label=$1 start end rc
  shift
  start=$(date +%s.%N)
  # Called only from plain statements (never under if/&&/||), so errexit holds inside the subshell.
  set +e
  (set -e; "$@")
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || fail "$label failed (exit status $rc; see the output above)"
  end=$(date +%s.%N)
  log "$label took $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f s", e - s }')"
}

# Builds package $2 of module $1@$3 into $BIN_DIR/$4, in a throwaway module that requires only that
# module (so pulumi's own replace directives do not matter).
build_from_sdk() {
  local module=$1 pkg=$2 version=$3 out=$4 dir="$work/$4"
  mkdir -p "$dir" && cd "$dir"
  go mod init "build-$out" >/dev/null 2>&1
  go get "$module@$version" >&2
  go build -o "$BIN_DIR/$out.tmp" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" "$pkg" >&2
  mv "$BIN_DIR/$out.tmp" "$BIN_DIR/$out"
}

build_python_host() {
  build_from_sdk github.com/pulumi/pulumi/sdk/v3 \
    github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python "$PYTHON_HOST_SDK_VERSION" \
    pulumi-language-python
  # The host runs Python programs through this shim, which it looks for next to its own executable.
  local src
  src="$(go env GOMODCACHE)/github.com/pulumi/pulumi/sdk/v3@$PYTHON_HOST_SDK_VERSION/python/cmd/pulumi-language-python-exec"
  [ -f "$src" ] || fail "missing $src"
  install -m 0755 "$src" "$BIN_DIR/pulumi-language-python-exec"
}

build_yaml_host() {
  GOBIN="$work/yaml-bin" go install \
    -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_HOST_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$YAML_HOST_VERSION" >&2
  mv "$work/yaml-bin/pulumi-language-yaml" "$BIN_DIR/pulumi-language-yaml"
}

build_go_host() {
  build_from_sdk github.com/pulumi/pulumi/sdk/v3 \
    github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go "$GO_HOST_SDK_VERSION" pulumi-language-go
}

make_venv() {
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  # shellcheck disable=SC2086 # PYTHON_EXTRA_PACKAGES is a list of requirement strings
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    "pulumi==$PYTHON_SDK_VERSION" $PYTHON_EXTRA_PACKAGES >&2
  touch "$VENV/.complete"
}

if [ ! -x "$BIN_DIR/pulumi-language-python" ] || [ ! -x "$BIN_DIR/pulumi-language-python-exec" ]; then
  log "building pulumi-language-python from sdk/v3 $PYTHON_HOST_SDK_VERSION"
  timed "pulumi-language-python" build_python_host
fi
if [ ! -x "$BIN_DIR/pulumi-language-yaml" ]; then
  log "building pulumi-language-yaml $YAML_HOST_VERSION (with its own pulumi pkg/v3 pin)"
  timed "pulumi-language-yaml" build_yaml_host
fi
if [ ! -x "$BIN_DIR/pulumi-language-go" ]; then
  log "building pulumi-language-go from sdk/v3 $GO_HOST_SDK_VERSION"
  timed "pulumi-language-go" build_go_host
fi
if [ ! -f "$VENV/.complete" ]; then
  log "creating the Python virtualenv with pulumi==$PYTHON_SDK_VERSION"
  timed "virtualenv" make_venv
fi

complete || fail "incomplete build in $ROOT"
log "built into $BIN_DIR (virtualenv: $VENV)"
echo "$BIN_DIR"
