#!/usr/bin/env bash
# Benchmark dispatcher: scripts/bench.sh all|load|ingest|settle|findings|reports
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
run() { echo "== bench $1"; "scripts/bench-$1.sh"; }
case "$what" in
    all) for b in load ingest settle findings reports; do [[ -x scripts/bench-$b.sh ]] && run "$b"; done ;;
    *) run "$what" ;;
esac
