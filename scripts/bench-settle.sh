#!/usr/bin/env bash
# Settlement benchmark (make bench-settle): a synthetic inventory over one
# year on PostgreSQL and SQLite; for each, the time of a full scan of the
# year's usage rows, the time of `cloudbill settle`, their ratio and the
# peak RSS. Two sizes show how cost grows. Needs TEST_DATABASE_URL (run
# through scripts/with-postgres.sh) and bin/cloudbill.
# BENCH_SETTLE_SIZES="5000 20000" sets the inventory sizes (resources).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_SETTLE_SIZES:-"5000 20000"}
bin=bin/cloudbill
out=${BENCH_OUT:-bench-out}
mkdir -p "$out"
: "${TEST_DATABASE_URL:?run through scripts/with-postgres.sh}"

for n in $sizes; do
    dir="$out/settle-$n"
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "-- $n resources: generating one year of usage"
    $bin gen --resources "$n" --from 2024-01-01 --to 2024-12-31 --out "$dir/metering" --seed 1 --layout single --no-activity >/dev/null
    pgdb="bench_settle_$n"
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb"
    pgurl="${TEST_DATABASE_URL/\/postgres\?/\/$pgdb?}"
    for db in "postgres:$pgurl" "sqlite:sqlite:$dir/bench.db"; do
        engine=${db%%:*}
        dsn=${db#*:}
        $bin --db "$dsn" load "$dir/metering/reference" >/dev/null 2>&1
        $bin --db "$dsn" ingest "$dir/metering" >/dev/null 2>&1
        if [[ $engine == postgres ]]; then
            psql -q "$pgurl" -c "VACUUM ANALYZE" >/dev/null
        fi
        bin/measure --db "$dsn" settle --year 2024 2>/dev/null | grep '^measure'
    done
done
