#!/usr/bin/env bash
# make demo / make demo-down: run examples/quickstart with real Terraform against a local tkg-sim.
#
#   scripts/demo.sh up     start tkg-sim (state under .demo/), install the provider into a local mirror, terraform
#                          init + apply a copy of examples/quickstart, show the outputs and the cluster's nodes;
#                          tkg-sim keeps running afterwards
#   scripts/demo.sh down   stop tkg-sim and remove .demo/
#
# Offline: the provider comes from a filesystem mirror under .demo/, and the only other program Terraform talks to
# is the simulator on 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO="$ROOT/.demo"
BIN="${VENV:-$ROOT/.venv}/bin"
PIDFILE="$DEMO/tkg-sim.pid"
DELAY_SCALE="${DEMO_DELAY_SCALE:-0.2}"

say() { printf '\n==> %s\n' "$*"; }

stop_sim() {
  if [[ -f "$PIDFILE" ]]; then
    local pid
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$PIDFILE"
  fi
}

down() {
  stop_sim
  rm -rf "$DEMO"
  echo "tkg-sim stopped; .demo/ removed."
}

up() {
  command -v terraform >/dev/null || { echo "terraform is not on PATH" >&2; exit 1; }
  stop_sim
  rm -rf "$DEMO"
  mkdir -p "$DEMO/quickstart"

  say "Starting tkg-sim (delay scale $DELAY_SCALE, state in .demo/state.json)"
  "$BIN/tkg-sim" serve --delay-scale "$DELAY_SCALE" --state-file "$DEMO/state.json" \
    >"$DEMO/tkg-sim.env" 2>"$DEMO/tkg-sim.log" &
  echo $! >"$PIDFILE"
  for _ in $(seq 300); do
    grep -q '^# tkg-sim ready' "$DEMO/tkg-sim.env" 2>/dev/null && break
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { cat "$DEMO/tkg-sim.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q '^# tkg-sim ready' "$DEMO/tkg-sim.env" || { echo "tkg-sim did not start" >&2; exit 1; }
  # shellcheck disable=SC1090
  eval "$(grep '^export' "$DEMO/tkg-sim.env")"
  grep '^# tkg-sim ready' "$DEMO/tkg-sim.env"

  say "Installing the provider into .demo/mirror"
  "$BIN/terraform-provider-tkg" install --mirror "$DEMO/mirror" | sed -n '/^provider_installation/,$p' >"$DEMO/terraformrc"
  export TF_CLI_CONFIG_FILE="$DEMO/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

  cp "$ROOT"/examples/quickstart/*.tf "$DEMO/quickstart/"
  cd "$DEMO/quickstart"
  say "terraform init"
  terraform init -input=false -no-color >/dev/null
  say "terraform apply (VM class, namespace, cluster with three node pools)"
  terraform apply -input=false -auto-approve

  say "Outputs"
  terraform output
  terraform output -raw kubeconfig >"$DEMO/kubeconfig"
  chmod 600 "$DEMO/kubeconfig"

  if command -v kubectl >/dev/null; then
    say "kubectl --kubeconfig .demo/kubeconfig get nodes"
    kubectl --kubeconfig "$DEMO/kubeconfig" get nodes
  else
    echo "(kubectl not found: the kubeconfig is in .demo/kubeconfig)"
  fi

  cat <<MSG

tkg-sim is still running (pid $(cat "$PIDFILE")). Try:
  source .demo/tkg-sim.env && export TF_CLI_CONFIG_FILE=\$PWD/.demo/terraformrc && cd .demo/quickstart && terraform plan
  kubectl --kubeconfig .demo/kubeconfig get nodes
Stop it with: make demo-down
MSG
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
