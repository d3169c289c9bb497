# Sourced by scripts/bench-settle.sh and scripts/bench-monthly.sh: the
# synthetic inventory they measure on, built the same way for both. Needs
# TEST_DATABASE_URL (run through scripts/with-postgres.sh) and bin/cloudbill.
bin=bin/cloudbill
out=${BENCH_OUT:-bench-out}
: "${TEST_DATABASE_URL:?run through scripts/with-postgres.sh}"

# each_inventory NAME SIZES PREPARE MEASURE: for each size N of SIZES, one
# year (2024) of usage for N synthetic resources in $out/NAME-N, loaded and
# ingested into a fresh PostgreSQL database bench_NAME_N and into a SQLite
# one; on each, PREPARE ENGINE DSN runs, then (PostgreSQL vacuumed and
# analysed) MEASURE ENGINE DSN.
each_inventory() {
    local name=$1 sizes=$2 prepare=$3 measure=$4
    mkdir -p "$out"
    for n in $sizes; do
        local dir="$out/$name-$n"
        rm -rf "$dir"
        mkdir -p "$dir"
        echo "-- $n resources: generating one year of usage"
        $bin gen --resources "$n" --from 2024-01-01 --to 2024-12-31 --out "$dir/metering" --seed 1 --layout single --no-activity >/dev/null
        local pgdb="bench_${name}_$n"
        psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb"
        local pgurl="${TEST_DATABASE_URL/\/postgres\?/\/$pgdb?}"
        local db
        for db in "postgres:$pgurl" "sqlite:sqlite:$dir/bench.db"; do
            local engine=${db%%:*}
            local dsn=${db#*:}
            $bin --db "$dsn" load "$dir/metering/reference" >/dev/null 2>&1
            $bin --db "$dsn" ingest "$dir/metering" >/dev/null 2>&1
            "$prepare" "$engine" "$dsn"
            if [[ $engine == postgres ]]; then
                psql -q "$pgurl" -c "VACUUM ANALYZE" >/dev/null
            fi
            "$measure" "$engine" "$dsn"
        done
    done
}
