#!/usr/bin/env bash
# Monthly report benchmark (make bench-monthly): a synthetic inventory over
# one year on PostgreSQL and SQLite, as scripts/bench-settle.sh builds it;
# for each, the time of the annual settlement (`settle`, storing a new
# version) and of the month's report (month-Y-MM.csv and .pdf, the
# accruals from January, the forecast, budgets, findings, SLA), and their
# ratio (target: under 3). Needs TEST_DATABASE_URL (run through
# scripts/with-postgres.sh), bin/cloudbill and bin/measure.
# BENCH_MONTHLY_SIZES="20000" sets the inventory sizes (resources),
# BENCH_MONTHLY_MONTHS="2024-07 2024-12" the months reported.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_MONTHLY_SIZES:-"20000"}
months=${BENCH_MONTHLY_MONTHS:-"2024-07 2024-12"}
bin=bin/cloudbill
out=${BENCH_OUT:-bench-out}
mkdir -p "$out"
: "${TEST_DATABASE_URL:?run through scripts/with-postgres.sh}"

for n in $sizes; do
    dir="$out/monthly-$n"
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "-- $n resources: generating one year of usage"
    $bin gen --resources "$n" --from 2024-01-01 --to 2024-12-31 --out "$dir/metering" --seed 1 --layout single --no-activity >/dev/null
    pgdb="bench_monthly_$n"
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb"
    pgurl="${TEST_DATABASE_URL/\/postgres\?/\/$pgdb?}"
    for db in "postgres:$pgurl" "sqlite:sqlite:$dir/bench.db"; do
        engine=${db%%:*}
        dsn=${db#*:}
        $bin --db "$dsn" load "$dir/metering/reference" >/dev/null 2>&1
        $bin --db "$dsn" ingest "$dir/metering" >/dev/null 2>&1
        $bin --db "$dsn" findings --as-of 2024-12-31 >/dev/null 2>&1
        if [[ $engine == postgres ]]; then
            psql -q "$pgurl" -c "VACUUM ANALYZE" >/dev/null
        fi
        for m in $months; do
            # each pass settles afresh (a new version: the report's yardstick)
            bin/measure --db "$dsn" monthly --month "$m" 2>/dev/null | grep '^measure'
        done
    done
done
