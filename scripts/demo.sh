#!/usr/bin/env bash
# The demo: `npm run demo` (up) and `npm run demo:down` (down).
#   up:   installs what is missing, builds, starts (or reuses) a sandbox Dovecot with a few users in
#         .cache/demo/, copies examples/typescript/ to .cache/demo/project/ (as a user copies it; again on
#         every run, so edits there take effect), sets its stack configuration as its README says, runs
#         `pulumi up` (the CLI runs index.ts through ts-node) against the sandbox with a file backend,
#         and shows each user's folders and subscriptions as an IMAP client sees them. Run it twice:
#         the second `pulumi up` changes nothing.
#   down: `pulumi destroy`, removes the stack, stops the sandbox Dovecot and removes .cache/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DEMO="$ROOT/.cache/demo"
EXAMPLE="$ROOT/examples/typescript"
PROJECT="$DEMO/project"
STACK=demo
action="${1:-up}"

say() { printf '\n==> %s\n' "$*" >&2; }

pulumi_env() {
  # shellcheck source=scripts/pulumi-env.sh
  source "$ROOT/scripts/pulumi-env.sh"
  export PULUMI_BACKEND_URL="file://$DEMO/state"
  # The example's Pulumi.yaml picks the stack by folder: every command runs in the project copy.
  cd "$PROJECT"
  # Settings come from the stack configuration, never from the caller's shell.
  unset DOVEADM_ENDPOINT DOVEADM_API_KEY DOVEADM_PASSWORD
}

stop_dovecot() {
  local conf="$DEMO/dovecot/dovecot.conf"
  if [ -f "$conf" ]; then
    local pid=""
    [ -f "$DEMO/dovecot/run/master.pid" ] && pid="$(cat "$DEMO/dovecot/run/master.pid" 2>/dev/null || true)"
    doveadm -c "$conf" stop >/dev/null 2>&1 || true
    if [ -n "$pid" ]; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
}

up() {
  say "Installing what is missing (Dovecot, npm packages, the Pulumi CLI)"
  bash scripts/install-deps.sh
  say "Building the library"
  npm run --silent build
  npm run --silent build:tools

  # Dovecot's processes run as other users and must reach the sandbox's folder.
  mkdir -p "$DEMO/state"
  chmod 711 "$ROOT/.cache" "$DEMO"
  say "Starting the sandbox Dovecot"
  node scripts/demo-sandbox.js start "$DEMO"
  local info="$DEMO/sandbox.json"
  json() { node -e 'const i=require(process.argv[1]); const v=eval("i."+process.argv[2]); console.log(typeof v==="string"?v:JSON.stringify(v))' "$info" "$1"; }

  # The example as a user has it: its own folder, package.json and tsconfig.json. Its node_modules
  # holds only this package, linked to the repository (built above); @pulumi/pulumi, typescript,
  # ts-node and @types/node resolve from the repository's node_modules, which is above the copy.
  mkdir -p "$PROJECT/node_modules"
  find "$PROJECT" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name 'Pulumi.*.yaml' -exec rm -rf {} +
  cp -R "$EXAMPLE/." "$PROJECT/"
  ln -sfn "$ROOT" "$PROJECT/node_modules/pulumi-dovecot"

  pulumi_env
  if ! pulumi stack select "$STACK" --non-interactive >/dev/null 2>&1; then
    pulumi stack init "$STACK" --non-interactive >/dev/null
  fi
  pulumi config set dovecot:endpoint "$(json endpoint)" --non-interactive
  json apiKey | tr -d '\n' | pulumi config set --secret dovecot:apiKey --non-interactive
  # The users come from the sandbox's user database (listUsers): none is configured.
  pulumi config rm folders:users --non-interactive >/dev/null 2>&1 || true
  pulumi config set folders:layout "$(cat layout.json)" --non-interactive

  say "pulumi up (stack $STACK, state in .cache/demo/state)"
  pulumi up --yes --non-interactive --stack "$STACK"

  node "$ROOT/scripts/demo-sandbox.js" show "$DEMO"
  echo "Run \`npm run demo\` again: nothing changes. Edit examples/typescript/conf.d/90-example.conf and run it again: Dovecot reloads. \`npm run demo:down\` removes it all." >&2
}

down() {
  if [ -d "$DEMO/state" ] && [ -f "$PROJECT/Pulumi.yaml" ] && [ -x node_modules/.bin/node ]; then
    pulumi_env
    if pulumi stack select "$STACK" --non-interactive >/dev/null 2>&1; then
      say "pulumi destroy"
      if [ -f "$DEMO/sandbox.json" ]; then
        node "$ROOT/scripts/demo-sandbox.js" start "$DEMO" || true
        # The demo's folders are empty unless you put mail in them; a folder with mail is kept
        # unless forceDestroy is set, which would stop the destroy. Its data goes with the sandbox.
        pulumi destroy --yes --non-interactive --stack "$STACK" || echo "demo: destroy failed; removing the stack anyway" >&2
      fi
      pulumi stack rm "$STACK" --yes --force --non-interactive >/dev/null || true
    fi
  fi
  cd "$ROOT"
  say "Stopping the sandbox Dovecot and removing .cache/demo"
  stop_dovecot
  rm -rf "$DEMO"
}

case "$action" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
