# PostgreSQL for fleet mode (issue 14): Debian's PostgreSQL 15, run as the `postgres` user
# (it refuses to run as root) in a data directory of its own, on a loopback port, with a
# `runsstream` database owned by a `runsstream` user with a password. Source it after setup.sh.
#
#   ensure_postgres                 installs the Debian package when PostgreSQL 15 is missing
#   start_postgres [DIR] [PORT]     inits DIR (default $ROOT/data/postgres) once, starts it on PORT
#                                   (default: a free one) and prints the DATABASE_URL
#   stop_postgres [DIR]             stops it by the pid it wrote (fast shutdown)
#
# The tests start their own instance (RunsStream.Tests/Support/PostgresServer.cs); scripts/test
# only calls ensure_postgres.
# shellcheck shell=bash

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

ensure_postgres() {
  [ -x "$PG_BIN/postgres" ] || apt_install postgresql
  if [ ! -x "$PG_BIN/postgres" ]; then
    log "postgres: PostgreSQL 15 not found in $PG_BIN after installing the postgresql package"
    return 1
  fi
}

# Runs a command as the postgres user (as ourselves when we are not root: then we own the files).
_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# init_postgres DIR : a data directory in DIR/data with a superuser password in DIR/password
# (scram for TCP, nothing else listens), made once.
init_postgres() {
  local dir="$1"
  [ -f "$dir/data/PG_VERSION" ] && return 0
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ -f "$dir/password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$dir/password")
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  _as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --no-instructions >/dev/null
}

# start_postgres [DIR] [PORT] : starts PostgreSQL (init first if needed), makes the runsstream
# user and database, and prints DATABASE_URL on stdout.
start_postgres() {
  local dir="${1:-$ROOT/data/postgres}" port="${2:-}"
  ensure_postgres
  init_postgres "$dir" || return 1
  [ -n "$port" ] || port="$(_free_port)"
  if [ -f "$dir/postgres.pid" ] && kill -0 "$(cat "$dir/postgres.pid")" 2>/dev/null; then
    log "postgres: already running in $dir (pid $(cat "$dir/postgres.pid"))"
    return 1
  fi
  # Started directly (not through a shell function, which would run in a subshell of its
  # own): setpriv execs the postmaster, so $! is the postmaster's own pid.
  local as=()
  [ "$(id -u)" -eq 0 ] && as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  "${as[@]}" "$PG_BIN/postgres" -D "$dir/data" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories= >"$dir/postgres.log" 2>&1 &
  echo $! > "$dir/postgres.pid"
  local tries=0
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; do
    tries=$((tries + 1))
    if [ $tries -gt 300 ] || ! kill -0 "$(cat "$dir/postgres.pid")" 2>/dev/null; then
      log "postgres: did not start on port $port; see $dir/postgres.log"
      return 1
    fi
    sleep 0.1
  done
  local password
  password="$(cat "$dir/password")"
  PGPASSWORD="$password" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT format('CREATE ROLE runsstream LOGIN PASSWORD %L', '$password') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'runsstream') \gexec
SELECT 'CREATE DATABASE runsstream OWNER runsstream' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'runsstream') \gexec
SQL
  echo "postgres://runsstream:${password}@127.0.0.1:${port}/runsstream"
}

# stop_postgres [DIR] : fast shutdown of the instance started in DIR, by its pid.
stop_postgres() {
  local dir="${1:-$ROOT/data/postgres}"
  [ -f "$dir/postgres.pid" ] || return 0
  local pid
  pid="$(cat "$dir/postgres.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid"
    local tries=0
    while kill -0 "$pid" 2>/dev/null && [ $tries -lt 600 ]; do
      sleep 0.1
      tries=$((tries + 1))
    done
  fi
  rm -f "$dir/postgres.pid"
}
