#!/usr/bin/env bash
# Renders every document (statement, district bills, idle and evaluation
# reports, XLSX) for a synthetic year and prints pages per second.
# Sizes: RESOURCES (default 1000), DISTRICTS (default 12), RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
scripts/deps.sh
resources=${RESOURCES:-1000}
districts=${DISTRICTS:-12}
runs=${RUNS:-3}
out=$(go test ./reports -run '^$' -bench '^BenchmarkDocuments$' -benchtime "${runs}x" -count 1 \
    -docs.resources "$resources" -docs.districts "$districts")
echo "$out" | grep -E '^(Benchmark|cpu:)' || { echo "$out"; exit 1; }
echo "$out" | awk -v r="$resources" -v d="$districts" '/^BenchmarkDocuments/ {
    for (i = 1; i <= NF; i++) { if ($(i+1) == "pages/op") p = $i; if ($(i+1) == "pages/s") s = $i; if ($(i+1) == "ns/op") ns = $i }
    printf "reports: %d resources, %d districts: %d pages in %.2f s per run = %.0f pages/s\n", r, d, p, ns / 1e9, s }'
