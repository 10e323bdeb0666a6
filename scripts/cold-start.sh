#!/usr/bin/env bash
# Cold start: process start to the first 200 from the health path, on a fresh database.
# usage: cold-start.sh BINARY HEALTH_PATH [runs]
#   SQLite (default): a new file in a new directory each run.
#   PG_SERVER=postgres://postgres@127.0.0.1:5432: a new PostgreSQL database each run
#   (created before the clock starts, dropped after), so every run migrates from zero.
bin=$(realpath "$1"); path=$2; runs=${3:-5}
for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d); port=$((20000 + RANDOM % 10000))
  unset DATABASE_URL db
  if [ -n "${PG_SERVER:-}" ]; then
    db="coldstart_${i}_$RANDOM"
    psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $db"
    export DATABASE_URL="$PG_SERVER/$db"
  fi
  start=$(date +%s%N)
  ( cd "$dir" && PORT=$port RUST_LOG=warn exec "$bin" >/dev/null 2>&1 ) &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port$path"; do sleep 0.005; done
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 )) ms"
  kill "$pid"; wait "$pid" 2>/dev/null; rm -rf "$dir"
  if [ -n "${db:-}" ]; then psql "$PG_SERVER/postgres" -qc "DROP DATABASE $db WITH (FORCE)"; fi
done
