#!/usr/bin/env bash
# Monthly report benchmark (make bench-monthly): a synthetic inventory over
# one year on PostgreSQL and SQLite, as scripts/bench-settle.sh builds it
# (scripts/bench-inventory.sh), the findings refreshed as of 31 December;
# for each, the time of the annual settlement (`settle`, storing a new
# version) and of the month's report (month-Y-MM.csv and .pdf, the
# accruals from January, the forecast, budgets, findings, SLA), and their
# ratio (target: under 3). Needs TEST_DATABASE_URL (run through
# scripts/with-postgres.sh), bin/cloudbill and bin/measure.
# BENCH_MONTHLY_SIZES="20000" sets the inventory sizes (resources),
# BENCH_MONTHLY_MONTHS="2024-07 2024-12" the months reported.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-inventory.sh
months=${BENCH_MONTHLY_MONTHS:-"2024-07 2024-12"}

refresh_findings() { $bin --db "$2" findings --as-of 2024-12-31 >/dev/null 2>&1; }
measure_monthly() {
    local m
    for m in $months; do
        # each pass settles afresh (a new version: the report's yardstick)
        bin/measure --db "$2" monthly --month "$m" 2>/dev/null | grep '^measure'
    done
}
each_inventory monthly "${BENCH_MONTHLY_SIZES:-"20000"}" refresh_findings measure_monthly
