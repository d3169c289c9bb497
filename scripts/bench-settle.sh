#!/usr/bin/env bash
# Settlement benchmark (make bench-settle): a synthetic inventory over one
# year on PostgreSQL and SQLite (scripts/bench-inventory.sh); for each, the
# time of a full scan of the year's usage rows, the time of `cloudbill
# settle`, their ratio and the peak RSS. Two sizes show how cost grows.
# Needs TEST_DATABASE_URL (run through scripts/with-postgres.sh),
# bin/cloudbill and bin/measure.
# BENCH_SETTLE_SIZES="5000 20000" sets the inventory sizes (resources).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-inventory.sh

measure_settle() { bin/measure --db "$2" settle --year 2024 2>/dev/null | grep '^measure'; }
each_inventory settle "${BENCH_SETTLE_SIZES:-"5000 20000"}" : measure_settle
