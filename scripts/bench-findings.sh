#!/usr/bin/env bash
# Findings benchmark (make bench, "findings"): a synthetic inventory of
# BENCH_RESOURCES resources (default 20000) metered for 2024 (≈ 7.3 M
# activity rows at the default size), loaded and ingested into PostgreSQL
# and SQLite; for each engine, the time of a full scan of the activity rows
# (SELECT count(*), sum(net_in_bytes) FROM activity), the time of
# `cloudbill findings --as-of 2024-12-31` (the nightly refresh), their ratio
# and the peak RSS. Target on PostgreSQL: ratio ≤ 3.
# Needs TEST_DATABASE_URL (run through scripts/with-postgres.sh) and
# bin/cloudbill. BENCH_FINDINGS_ENGINES="postgres sqlite" picks the engines.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${BENCH_RESOURCES:-20000}
engines=${BENCH_FINDINGS_ENGINES:-"postgres sqlite"}
bin=bin/cloudbill
out=${BENCH_OUT:-bench-out}
: "${TEST_DATABASE_URL:?run through scripts/with-postgres.sh}"

dir="$out/findings-$n"
rm -rf "$dir"
mkdir -p "$dir"
echo "-- $n resources: generating one year of usage and activity"
$bin gen --resources "$n" --from 2024-01-01 --to 2024-12-31 --out "$dir/metering" --seed 1 --layout single >/dev/null
for engine in $engines; do
    if [[ $engine == postgres ]]; then
        pgdb="bench_findings_$n"
        psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb"
        dsn="${TEST_DATABASE_URL/\/postgres\?/\/$pgdb?}"
    else
        dsn="sqlite:$dir/bench.db"
    fi
    $bin --db "$dsn" load "$dir/metering/reference" >/dev/null 2>&1
    $bin --db "$dsn" ingest "$dir/metering" >/dev/null 2>&1
    if [[ $engine == postgres ]]; then
        psql -q "$dsn" -c "VACUUM ANALYZE" >/dev/null
    fi
    # Ingestion kept the summaries: the first refresh is the nightly case.
    echo "refresh after ingestion (summaries kept by ingest):"
    bin/measure --db "$dsn" findings --as-of 2024-12-31 2>/dev/null
    # Other idle thresholds make the refresh rebuild the idle summary in one
    # pass over activity (as after a replaced activity row).
    policy=$(mktemp)
    printf 'idle.cpu_avg_below = 4\n' > "$policy"
    echo "refresh with other idle thresholds (rebuilds the idle summary):"
    CLOUDBILL_POLICY=$policy bin/measure --db "$dsn" findings --as-of 2024-12-31 2>/dev/null | grep '^measure'
    rm -f "$policy"
done
