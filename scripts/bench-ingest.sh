#!/usr/bin/env bash
# Ingest benchmark (make bench-ingest, run inside scripts/with-postgres.sh).
#
# Generates ROWS usage rows (default 1,000,000) for RESOURCES resources with
# `cloudbill gen`, then, in REPEAT interleaved rounds (default 5; each
# figure is the best of its rounds, the medians printed beside), on the
# same PostgreSQL server:
#   * times `cloudbill ingest` of the file into a fresh database,
#   * times `psql \copy` of the same file into a table of the same shape
#     (same columns, types and primary key) in another database, and into
#     a table without a key,
#   * times `cloudbill ingest` of the file into a fresh SQLite database;
# then once:
#   * times the naive path (COPY into a staging table, then one INSERT …
#     ON CONFLICT DO UPDATE … WHERE changed), all in psql,
#   * prints the rates and the ratios (target ≥ 0.5),
#   * times a re-sent file with every 10th value changed (the staging merge);
# prints the SQLite rate (target ≥ 250,000 rows/s), and the peak RSS of
# ingesting BIG_ROWS rows (default 10,000,000; 0 skips it) on both engines
# (target < 200 MB).
#
# Sizes: ROWS=200000 BIG_ROWS=0 scripts/with-postgres.sh scripts/bench-ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin/cloudbill}
ROWS=${ROWS:-1000000}
BIG_ROWS=${BIG_ROWS:-10000000}
RESOURCES=${RESOURCES:-20000}
BIG_RESOURCES=${BIG_RESOURCES:-100000}
: "${TEST_DATABASE_URL:?run through scripts/with-postgres.sh (make bench-ingest)}"
export PGOPTIONS="-c client_min_messages=warning"
[[ -x $BIN ]] || { echo "bench-ingest: $BIN missing: make build" >&2; exit 1; }
command -v psql >/dev/null || { echo "bench-ingest: psql missing" >&2; exit 1; }
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "bench-ingest: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d /tmp/cloudbill-bench-ingest.XXXXXX)
trap 'rm -rf "$work"' EXIT

# db NAME: the URL of database NAME on the test server.
db() { echo "${TEST_DATABASE_URL%%/postgres\?*}/$1?sslmode=disable"; }
fresh_pg() { psql -q -d "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# gen_usage ROWS RESOURCES DIR: DIR/reference and DIR/usage.csv with exactly
# ROWS rows. The generator writes a few malformed rows on purpose (bad date,
# negative quantity, unknown resource); psql \copy would stop at them, so
# both sides read the same clean file.
gen_usage() {
    local rows=$1 resources=$2 out=$3
    local days=$(( rows / (resources / 2) + 2 ))
    local to
    to=$(date -u -d "2024-01-01 + $(( days - 1 )) days" +%F)
    "$BIN" gen --from 2024-01-01 --to "$to" --out "$out" --seed 1 --resources "$resources" --layout single --no-activity >/dev/null 2>&1
    awk -F, -v rows="$rows" 'NR == 1 || (substr($1, 9, 2) <= "31" && $4 !~ /^-/ && $2 != "vm-00000") { print; if (++n > rows) exit }' \
        "$out"/usage-2024-01-01_*.csv > "$out/usage.csv"
    rm -f "$out"/usage-2024-*.csv
    local got=$(( $(wc -l < "$out/usage.csv") - 1 ))
    if (( got < rows )); then
        echo "bench-ingest: generated only $got rows, wanted $rows" >&2
        exit 1
    fi
}

# ingest DSN FILE: runs cloudbill ingest, sets $took and $rss_kb.
ingest() {
    local t0 t1
    t0=$(now)
    $TIME -f "%M" -o "$work/rss" "$BIN" --db "$1" ingest "$2" 2> "$work/ingest.log" || { cat "$work/ingest.log" >&2; exit 1; }
    t1=$(now)
    took=$(secs "$t0" "$t1")
    rss_kb=$(tail -1 "$work/rss")
    grep -E "^$2: " "$work/ingest.log" | sed 's/^/    /' >&2
}

echo "bench-ingest: generating $ROWS usage rows for $RESOURCES resources" >&2
gen_usage "$ROWS" "$RESOURCES" "$work/m"
file=$work/m/usage.csv
size_mb=$(( $(stat -c %s "$file") / 1048576 ))

# record NAME SECONDS: adds a round's time of NAME to the list times_NAME.
record() {
    local var=times_$1
    printf -v "$var" '%s %s' "${!var:-}" "$2"
}
# best NAME, median NAME: of the rounds of NAME.
best() { local var=times_$1; tr ' ' '\n' <<< "${!var}" | grep . | sort -g | head -1; }
median() { local var=times_$1; tr ' ' '\n' <<< "${!var}" | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# REPEAT rounds (default 5), each timing, one after the other on the same
# file: cloudbill ingest into PostgreSQL, psql \copy into a table of the
# same shape (same columns, types and primary key) and into a table
# without a key, and cloudbill ingest into SQLite. Each figure is the best
# of its rounds, with the median beside it: this machine's speed varies by
# ±30 % from minute to minute, and interleaving the rounds exposes every
# side to the same drift.
REPEAT=${REPEAT:-5}
psql -q -d "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS cb_bench_copy" -c "CREATE DATABASE cb_bench_copy" >/dev/null
for (( round = 1; round <= REPEAT; round++ )); do
    fresh_pg cb_bench_ingest
    "$BIN" --db "$(db cb_bench_ingest)" load "$work/m/reference" >/dev/null 2>&1
    ingest "$(db cb_bench_ingest)" "$file"
    pg_round=$took
    record pg "$took"

    psql -q -d "$(db cb_bench_copy)" -c "DROP TABLE IF EXISTS usage, usage_nokey" \
        -c "CREATE TABLE usage (resource_id TEXT NOT NULL, item_code TEXT NOT NULL, day DATE NOT NULL, quantity NUMERIC NOT NULL, PRIMARY KEY (day, resource_id, item_code))" \
        -c "CREATE TABLE usage_nokey (resource_id TEXT, item_code TEXT, day DATE, quantity NUMERIC)"
    t0=$(now)
    psql -q -d "$(db cb_bench_copy)" -c "\\copy usage (day, resource_id, item_code, quantity) FROM '$file' WITH (FORMAT csv, HEADER true)"
    t1=$(now)
    copy_round=$(secs "$t0" "$t1")
    record copy "$copy_round"
    t0=$(now)
    psql -q -d "$(db cb_bench_copy)" -c "\\copy usage_nokey (day, resource_id, item_code, quantity) FROM '$file' WITH (FORMAT csv, HEADER true)"
    t1=$(now)
    nokey_round=$(secs "$t0" "$t1")
    record nokey "$nokey_round"

    rm -f "$work"/bench.db*
    "$BIN" --db "sqlite:$work/bench.db" load "$work/m/reference" >/dev/null 2>&1
    ingest "sqlite:$work/bench.db" "$file"
    record lite "$took"
    rm -f "$work"/bench.db*
    printf 'bench-ingest: round %d: PostgreSQL %ss, \\copy %ss (without a key %ss), SQLite %ss\n' \
        "$round" "$pg_round" "$copy_round" "$nokey_round" "$took" >&2
done
pg_s=$(best pg) copy_s=$(best copy) lite_s=$(best lite)
pg_rate=$(rate "$ROWS" "$pg_s")
copy_rate=$(rate "$ROWS" "$copy_s")
nokey_rate=$(rate "$ROWS" "$(best nokey)")
lite_rate=$(rate "$ROWS" "$lite_s")

# PostgreSQL: the naive path the issue compares with, all in SQL (no
# validation at all): COPY into a temporary staging table, then one
# INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE the value changed.
fresh_pg cb_bench_naive
psql -q -d "$(db cb_bench_naive)" -c "CREATE TABLE usage (resource_id TEXT NOT NULL, item_code TEXT NOT NULL, day DATE NOT NULL, quantity NUMERIC NOT NULL, PRIMARY KEY (day, resource_id, item_code))"
t0=$(now)
psql -q -v ON_ERROR_STOP=1 -d "$(db cb_bench_naive)" >/dev/null <<SQL
BEGIN;
CREATE TEMP TABLE stage (day DATE, resource_id TEXT, item_code TEXT, quantity NUMERIC);
\copy stage FROM '$file' WITH (FORMAT csv, HEADER true)
INSERT INTO usage (resource_id, item_code, day, quantity) SELECT resource_id, item_code, day, quantity FROM stage
ON CONFLICT (resource_id, item_code, day) DO UPDATE SET quantity = excluded.quantity WHERE usage.quantity IS DISTINCT FROM excluded.quantity;
COMMIT;
SQL
t1=$(now)
naive_s=$(secs "$t0" "$t1")
naive_rate=$(rate "$ROWS" "$naive_s")
psql -q -d "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS cb_bench_naive" >/dev/null

# PostgreSQL: the same rows re-sent with every 10th value changed (staging merge).
awk -F, -v OFS=, 'NR > 1 && NR % 10 == 0 { $4 = $4 + 1 } { print }' "$file" > "$work/m/resend.csv"
ingest "$(db cb_bench_ingest)" "$work/m/resend.csv"
resend_s=$took
resend_rate=$(rate "$ROWS" "$resend_s")

printf '\nbench-ingest: %d usage rows (%d MB CSV), %d resources, best of %d rounds, PostgreSQL %s, load average %s\n' \
    "$ROWS" "$size_mb" "$RESOURCES" "$REPEAT" "$(psql -Atq -d "$TEST_DATABASE_URL" -c 'SHOW server_version')" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-58s %7ss %9s rows/s\n' "cloudbill ingest, PostgreSQL (new rows)" "$pg_s" "$pg_rate"
printf '  %-58s %7ss %9s rows/s\n' "psql \\copy, same file, same table shape (with primary key)" "$copy_s" "$copy_rate"
printf '  %-58s %7s  %9s rows/s\n' "psql \\copy into a table without a key (for reference)" "" "$nokey_rate"
printf '  %-58s %7ss %9s rows/s\n' "naive: psql \\copy to staging + INSERT ON CONFLICT (no checks)" "$naive_s" "$naive_rate"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '  %-58s %7s\n' "ratio cloudbill / \\copy, same table (target >= 0.5)" "$(ratio "$pg_rate" "$copy_rate")"
printf '  %-58s %7s\n' "ratio cloudbill / \\copy, table without a key" "$(ratio "$pg_rate" "$nokey_rate")"
printf '  %-58s %7s\n' "ratio naive / \\copy, same table; without a key" "$(ratio "$naive_rate" "$copy_rate"); $(ratio "$naive_rate" "$nokey_rate")"
printf '  %-58s %7ss %9s rows/s\n' "cloudbill ingest, PostgreSQL, re-sent with 10% changed" "$resend_s" "$resend_rate"
printf '  %-58s %7ss %9s rows/s\n' "cloudbill ingest, SQLite (target >= 250000 rows/s)" "$lite_s" "$lite_rate"
printf '  %-58s %s\n' "medians of the $REPEAT rounds (rows/s)" \
    "PostgreSQL $(rate "$ROWS" "$(median pg)"), \\copy $(rate "$ROWS" "$(median copy)") (ratio $(ratio "$(median copy)" "$(median pg)")), SQLite $(rate "$ROWS" "$(median lite)")"

if (( BIG_ROWS > 0 )); then
    echo "bench-ingest: generating $BIG_ROWS usage rows for $BIG_RESOURCES resources" >&2
    rm -rf "$work/m"
    gen_usage "$BIG_ROWS" "$BIG_RESOURCES" "$work/big"
    fresh_pg cb_bench_big
    "$BIN" --db "$(db cb_bench_big)" load "$work/big/reference" >/dev/null 2>&1
    ingest "$(db cb_bench_big)" "$work/big/usage.csv"
    big_pg_s=$took big_pg_rss=$rss_kb
    "$BIN" --db "sqlite:$work/big.db" load "$work/big/reference" >/dev/null 2>&1
    ingest "sqlite:$work/big.db" "$work/big/usage.csv"
    big_lite_s=$took big_lite_rss=$rss_kb
    psql -q -d "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS cb_bench_big" >/dev/null
    printf '  %-58s %7ss %9s rows/s  peak RSS %d MB\n' "$BIG_ROWS rows, PostgreSQL" "$big_pg_s" "$(rate "$BIG_ROWS" "$big_pg_s")" $(( big_pg_rss / 1024 ))
    printf '  %-58s %7ss %9s rows/s  peak RSS %d MB\n' "$BIG_ROWS rows, SQLite" "$big_lite_s" "$(rate "$BIG_ROWS" "$big_lite_s")" $(( big_lite_rss / 1024 ))
    echo "  peak RSS target: < 200 MB"
fi
psql -q -d "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS cb_bench_ingest" -c "DROP DATABASE IF EXISTS cb_bench_copy" >/dev/null
