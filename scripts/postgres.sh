#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: postgres.sh start|stop|status|url (port STORYBANK_PG_PORT,
# database STORYBANK_PG_DB; scripts/scaleout.sh runs its own on another port).
set -euo pipefail
cd /  # the postgres user may not be able to enter the project folder

PORT="${STORYBANK_PG_PORT:-54329}"
BASE="${STORYBANK_PG_DIR:-/tmp/storybank-pg-$PORT}"  # /tmp: any user can reach it
DATA="$BASE/data"
DB="${STORYBANK_PG_DB:-storybank_test}"
URL="postgresql://postgres@127.0.0.1:$PORT/$DB"

say() { echo "postgres.sh: $*"; }

find_bindir() {
  local dir
  if command -v pg_ctl >/dev/null 2>&1; then
    dir="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  fi
  for dir in /usr/lib/postgresql/*/bin; do  # the newest version that has both
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then echo "$dir"; fi
  done | sort -V | tail -n 1 | grep .
}

# Run as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -n "${BIN:-}" ] && [ -d "$DATA" ] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

setup() {
  if ! BIN="$(find_bindir)"; then
    [ "$(id -u)" = 0 ] || { say "PostgreSQL is not installed; install it as root." >&2; exit 1; }
    say "installing PostgreSQL with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    BIN="$(find_bindir)"
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    say "creating the postgres user"
    useradd --system --user-group --no-create-home postgres
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a database cluster in $DATA"
    rm -rf "$BASE"
    mkdir -p "$BASE"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$BASE"; fi
    chmod 700 "$BASE"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-locale -E UTF8 \
      >"$BASE/initdb.log" 2>&1 || { cat "$BASE/initdb.log" >&2; exit 1; }
    # Test-only settings: local, trusted, and fast rather than crash-safe.
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
}

start() {
  setup
  if running; then
    say "already running on port $PORT"
  else
    say "starting on 127.0.0.1:$PORT (log: $BASE/server.log)"
    as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$BASE/server.log" -w -t 60 >/dev/null ||
      { tail -n 20 "$BASE/server.log" >&2; exit 1; }
  fi
  for _ in $(seq 60); do
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
    sleep 1
  done
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || { say "server does not answer" >&2; exit 1; }
  if [ -z "$("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    say "creating database $DB"
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
  fi
  say "ready: $URL"
}

case "${1:-}" in
  start) start ;;
  stop)
    BIN="$(find_bindir)" || true
    if running; then
      as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w >/dev/null
      say "stopped"
    else
      say "not running"
    fi
    ;;
  status) BIN="$(find_bindir)" || true; running ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
