#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a throwaway PostgreSQL
# cluster: initdb into a fresh temp dir, start on a free loopback port, stop
# and remove it on exit, whether the command passed or not. When
# TEST_DATABASE_URL is already set, the command just runs against it.
# Installs postgresql-15 from Debian's packages when initdb is missing and we
# are root; otherwise says what to install.
set -euo pipefail

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    exec "$@"
fi

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
    done
    return 1
}

if ! bindir=$(find_bin); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "with-postgres: installing postgresql-15 from Debian's packages" >&2
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql-15 >/dev/null
        bindir=$(find_bin)
    else
        echo "with-postgres: PostgreSQL is not installed. Install it with: sudo apt-get install postgresql-15 (or set TEST_DATABASE_URL)" >&2
        exit 1
    fi
fi

dir=$(mktemp -d /tmp/cloudbill-pg.XXXXXX)
run_as=()
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    run_as=(runuser -u postgres --)
fi

# The server's tools run from inside the cluster's own folder: the caller's
# folder may not be readable by the postgres user.
pgrun() { (cd "$dir" && "${run_as[@]}" "$@"); }

cleanup() {
    pgrun "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

pgrun "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null

started=""
for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + (RANDOM * 7 + attempt * 131) % 40000 ))
    if pgrun "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c maintenance_work_mem=512MB" start >/dev/null 2>&1; then
        started=1
        break
    fi
done
if [[ -z "$started" ]]; then
    echo "with-postgres: could not start PostgreSQL; its log:" >&2
    cat "$dir/log" >&2 || true
    exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
set +e
"$@"
status=$?
exit $status
