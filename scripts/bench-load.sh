#!/usr/bin/env bash
# Reference-data load benchmark: loads the Datong fixtures into a fresh
# SQLite file and a fresh PostgreSQL database (TEST_DATABASE_URL, from
# scripts/with-postgres.sh) and prints rows per second for each.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/cloudbill
out=${BENCH_OUT:-bench-out}
mkdir -p "$out"
rows=0
for f in fixtures/datong/*.csv; do rows=$(( rows + $(wc -l < "$f") - 1 )); done
measure() {
    local label=$1 dsn=$2 t0 t1
    t0=$(date +%s.%N)
    $bin --db "$dsn" load fixtures/datong >/dev/null 2>&1
    t1=$(date +%s.%N)
    awk -v l="$label" -v r="$rows" -v a="$t0" -v b="$t1" 'BEGIN { printf "load %-8s %d rows in %.2fs: %.0f rows/s\n", l, r, b-a, r/(b-a) }'
}
rm -f "$out/load.db"*
measure sqlite "sqlite:$out/load.db"
if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS bench_load WITH (FORCE)" -c "CREATE DATABASE bench_load"
    measure postgres "${TEST_DATABASE_URL/\/postgres\?/\/bench_load?}"
fi
