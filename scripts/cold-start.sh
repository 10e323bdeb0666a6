#!/usr/bin/env bash
# Cold start: process start to the first 200 from the health path, on a fresh database.
# usage: coldstart.sh BINARY HEALTH_PATH [runs] (DATABASE_URL may point at PostgreSQL)
bin=$1; path=$2; runs=${3:-5}
for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d); port=$((20000 + RANDOM % 10000))
  start=$(date +%s%N)
  ( cd "$dir" && PORT=$port RUST_LOG=warn exec "$bin" >/dev/null 2>&1 ) &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port$path"; do sleep 0.005; done
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 )) ms"
  kill "$pid"; wait "$pid" 2>/dev/null; rm -rf "$dir"
done
