#!/usr/bin/env bash
# Storybank scaled out on one machine, all on loopback: PostgreSQL, Redis, an S3 endpoint (moto),
# the web app under gunicorn (several processes) and two `storybank worker` processes.
#
#   scaleout.sh start       start everything (installs what is missing) and print the address
#   scaleout.sh stop        stop everything this script started and remove its folder
#   scaleout.sh env         print the settings, to `eval` in a shell that talks to it
#   scaleout.sh run-load    start, seed and run bench/load.py (args pass through), then stop;
#                           exits with the load test's status (non-zero on errors or lost jobs)
#
# Ports: STORYBANK_SCALE_PG_PORT (54331), _REDIS_PORT (56331), _S3_PORT (57331), _WEB_PORT (58331).
# STORYBANK_SCALE_WEB_PROCESSES (4) and STORYBANK_SCALE_WORKERS (2) say how many of each.
# This is the tested reference for a deployment across machines (ARCHITECTURE.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

PG_PORT="${STORYBANK_SCALE_PG_PORT:-54331}"
REDIS_PORT="${STORYBANK_SCALE_REDIS_PORT:-56331}"
S3_PORT="${STORYBANK_SCALE_S3_PORT:-57331}"
WEB_PORT="${STORYBANK_SCALE_WEB_PORT:-58331}"
WEB_PROCESSES="${STORYBANK_SCALE_WEB_PROCESSES:-4}"
WORKERS="${STORYBANK_SCALE_WORKERS:-2}"
BASE="/tmp/storybank-scale-$WEB_PORT"
BUCKET=storybank-scale
PG_DB=storybank_scale
PG_DIR="/tmp/storybank-pg-$PG_PORT"

say() { echo "scaleout.sh: $*"; }

pg() { STORYBANK_PG_PORT="$PG_PORT" STORYBANK_PG_DIR="$PG_DIR" STORYBANK_PG_DB="$PG_DB" \
  bash "$ROOT/scripts/postgres.sh" "$@"; }

# The settings every Storybank process gets (the same on every machine when really scaled out).
settings() {
  cat <<ENV
STORYBANK_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB
STORYBANK_QUEUE_URL=redis://127.0.0.1:$REDIS_PORT/0
STORYBANK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:$REDIS_PORT/1
STORYBANK_MEDIA_URL=s3://$BUCKET/media
STORYBANK_ERASURE_LOG_URL=s3://$BUCKET/erasure-log
STORYBANK_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
STORYBANK_INSTANCE_PATH=$BASE/instance
STORYBANK_SECRET_KEY=$(cat "$BASE/secret_key")
STORYBANK_LOGIN_ATTEMPTS_PER_MINUTE=${STORYBANK_LOGIN_ATTEMPTS_PER_MINUTE:-1000}
AWS_ACCESS_KEY_ID=storybank-scale
AWS_SECRET_ACCESS_KEY=storybank-scale
AWS_DEFAULT_REGION=us-east-1
ENV
}
# Every virtual user of the load test comes from 127.0.0.1, hence the high login limit above.
# Plain HTTP on loopback, so not STORYBANK_ENV=production (whose cookies are Secure only).

export_settings() {
  local line
  while IFS= read -r line; do export "${line?}"; done < <(settings)
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # wait_for WHAT SECONDS COMMAND...
  local what="$1" seconds="$2"
  shift 2
  for _ in $(seq "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  say "$what did not come up; its log:" >&2
  tail -n 30 "$BASE/$what.log" >&2 2>/dev/null || true
  return 1
}

install() {
  bash scripts/start.sh --install-only scale
  if ! command -v redis-server >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { say "redis-server is not installed; install it as root." >&2; exit 1; }
    say "installing redis-server with apt-get (its system service is not started)"
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then  # stop the package's own service from starting
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
      >/dev/null || { [ "$added" = 0 ] || rm -f "$policy"; exit 1; }
    [ "$added" = 0 ] || rm -f "$policy"
  fi
}

start_redis() {
  mkdir -p "$BASE/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$BASE/redis" --save '' \
    --appendonly no --daemonize yes --pidfile "$BASE/redis.pid" --logfile "$BASE/redis.log"
  wait_for redis 30 redis-cli -p "$REDIS_PORT" ping
  say "Redis on 127.0.0.1:$REDIS_PORT"
}

start_s3() {
  # moto's server keeps objects in memory: a throwaway S3 endpoint.
  setsid .venv/bin/moto_server -H 127.0.0.1 -p "$S3_PORT" >"$BASE/s3.log" 2>&1 &
  echo $! >"$BASE/s3.pid"
  wait_for s3 60 port_open "$S3_PORT"
  .venv/bin/python - "$BUCKET" <<'PY'
import os
import sys

import boto3

boto3.client("s3", endpoint_url=os.environ["STORYBANK_S3_ENDPOINT"]).create_bucket(Bucket=sys.argv[1])
PY
  say "S3 (moto) on 127.0.0.1:$S3_PORT, bucket $BUCKET"
}

start_web() {
  # gthread: each process serves several requests at once, so a slow upload holds one thread.
  # Keep-alive outlasts a person's pause between clicks: with gunicorn's 2 s, a browser (or the
  # load test) reusing a connection the server is just closing gets a connection error.
  setsid .venv/bin/gunicorn --bind "127.0.0.1:$WEB_PORT" --workers "$WEB_PROCESSES" \
    --worker-class gthread --threads 4 --timeout 120 --graceful-timeout 30 --keep-alive 30 \
    --pid "$BASE/web.pid" --error-logfile "$BASE/web.log" "storybank:create_app()" \
    >>"$BASE/web.log" 2>&1 &
  wait_for web 90 .venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$WEB_PORT/login')"
  say "web: gunicorn, $WEB_PROCESSES processes, on http://127.0.0.1:$WEB_PORT/"
}

start_workers() {
  local n
  for n in $(seq "$WORKERS"); do
    setsid .venv/bin/storybank worker >"$BASE/worker-$n.log" 2>&1 &
    echo $! >"$BASE/worker-$n.pid"
  done
  for n in $(seq "$WORKERS"); do
    wait_for "worker-$n" 120 grep -q "Worker running" "$BASE/worker-$n.log"
  done
  say "$WORKERS job workers running"
}

start() {
  if [ -f "$BASE/secret_key" ]; then say "already started (stop it first)" >&2; exit 1; fi
  install
  mkdir -p "$BASE/instance"
  chmod 700 "$BASE"
  .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' >"$BASE/secret_key"
  # A new cluster each time (stop removes it): the load test's figures start from the same place.
  if pg status; then pg stop; fi
  rm -rf "$PG_DIR"
  pg start
  export_settings
  start_redis
  start_s3
  .venv/bin/storybank db upgrade >"$BASE/migrate.log" 2>&1 || { cat "$BASE/migrate.log" >&2; exit 1; }
  say "migrated $PG_DB"
  if [ "${1:-}" = "--seed" ]; then
    .venv/bin/python bench/load.py seed --accounts "$BASE/accounts.json"
  fi
  start_web
  start_workers
  say "ready: http://127.0.0.1:$WEB_PORT/  (logs in $BASE)"
}

stop_pid() {  # stop_pid FILE SECONDS: TERM the process group, then KILL after SECONDS
  local file="$1" seconds="$2" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq "$seconds"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  local file
  for file in "$BASE"/worker-*.pid; do [ -e "$file" ] && stop_pid "$file" 30; done
  stop_pid "$BASE/web.pid" 30
  stop_pid "$BASE/s3.pid" 10
  if [ -f "$BASE/redis.pid" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || stop_pid "$BASE/redis.pid" 10
  fi
  if pg status; then pg stop; fi
  rm -rf "$BASE" "$PG_DIR"
  say "stopped; removed $BASE and $PG_DIR"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  env) settings ;;
  run-load)
    shift
    trap stop EXIT
    trap 'exit 130' INT TERM
    start --seed
    export_settings
    .venv/bin/python bench/load.py run --url "http://127.0.0.1:$WEB_PORT" \
      --accounts "$BASE/accounts.json" --logs "$BASE" "$@"
    ;;
  *) echo "usage: $0 start|stop|env|run-load [load options]" >&2; exit 2 ;;
esac
