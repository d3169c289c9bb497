#!/usr/bin/env bash
# Portal benchmark (make bench-web): a synthetic inventory of 20,000
# resources metered over 2024 (cloudbill gen, as bench-settle.sh does),
# loaded, ingested and settled into SQLite (and PostgreSQL when
# TEST_DATABASE_URL is set, as under scripts/with-postgres.sh); then
# web's TestPortalLoad signs in 50 district accounts and sends their
# district pages and line pages from 50 concurrent sessions over loopback
# with vegeta, printing p50 and p99 (target p99 < 200 ms).
# BENCH_WEB_RESOURCES sets the size, BENCH_WEB_SECONDS each attack's length;
# CLOUDBILL_BENCH_PROFILE=DIR (absolute) writes a CPU profile of each attack there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
n=${BENCH_WEB_RESOURCES:-20000}
out=$PWD/${BENCH_OUT:-bench-out}/web-$n
bin=bin/cloudbill
go build -o $bin ./cmd/cloudbill # (cached: never a stale binary)
rm -rf "$out" && mkdir -p "$out"
echo "-- $n resources: generating one year of usage" >&2
$bin gen --resources "$n" --from 2024-01-01 --to 2024-12-31 --out "$out/metering" --seed 1 --layout single --no-activity >/dev/null
dbs=("sqlite:$out/bench.db")
if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    pgdb="bench_web_$n"
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb"
    dbs+=("${TEST_DATABASE_URL/\/postgres\?/\/$pgdb?}")
fi
for dsn in "${dbs[@]}"; do
    echo "-- $dsn: load, ingest, findings, settle" >&2
    $bin --db "$dsn" load "$out/metering/reference" >/dev/null 2>&1
    $bin --db "$dsn" ingest "$out/metering" >/dev/null 2>&1
    $bin --db "$dsn" findings --as-of 2024-12-31 >/dev/null 2>&1
    $bin --db "$dsn" settle --year 2024 >/dev/null 2>&1
    if [[ $dsn == postgres* ]]; then psql -q "$dsn" -c "VACUUM ANALYZE" >/dev/null; fi
    CLOUDBILL_BENCH_DB="$dsn" CLOUDBILL_BENCH_SECONDS="${BENCH_WEB_SECONDS:-15}" \
        go test -count=1 -run '^TestPortalLoad$' -v ./web/ 2>&1 | grep -E '^bench-web|FAIL|--- |load_test' || true
done
