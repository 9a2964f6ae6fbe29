#!/usr/bin/env bash
# Compare the servers `jiebang serve` can run on (docs/serving.md): 2 workers, wrk at 64 connections on loopback.
# Usage: bench/serve_compare.sh [seconds per run] [rounds]   (a database loaded with `jiebang demo` must exist:
# JIEBANG_DATABASE_URL / JIEBANG_VAR_DIR as for the server). Starts and stops every server it uses, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
ROUNDS=${2:-2}
PORT=${BENCH_PORT:-8765}
PY=.venv/bin/python
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }

declare -A SERVERS=(
  [uvicorn-h11-asyncio]="$PY -m uvicorn market.asgi:app --host 127.0.0.1 --port $PORT --workers 2 --no-access-log --loop asyncio --http h11"
  [uvicorn-httptools-uvloop]="$PY -m uvicorn market.asgi:app --host 127.0.0.1 --port $PORT --workers 2 --no-access-log --loop uvloop --http httptools"
  [granian-asyncio]="$PY -m granian --interface asgi --host 127.0.0.1 --port $PORT --workers 2 --loop asyncio market.asgi:app"
  [granian-uvloop]="$PY -m granian --interface asgi --host 127.0.0.1 --port $PORT --workers 2 --loop uvloop market.asgi:app"
)
ORDER=(uvicorn-h11-asyncio uvicorn-httptools-uvloop granian-asyncio granian-uvloop)
ENDPOINTS=(/healthz /api/v1/tasks /tasks /api/v1/tasks/1 /)

run_one() {  # name, access-log (1/0)
  local name=$1 log=$2 pid
  if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then echo "port $PORT is taken"; exit 1; fi
  local logfile; logfile=$(mktemp)
  JIEBANG_ACCESS_LOG=$log JIEBANG_TICK_SECONDS=0 ${SERVERS[$name]} >"$logfile" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  for path in "${ENDPOINTS[@]}"; do
    wrk -t2 -c64 -d3s "http://127.0.0.1:$PORT$path" >/dev/null  # warm-up
    local out rps p50 p99
    out=$(wrk -t2 -c64 -d"${SECS}s" --latency "http://127.0.0.1:$PORT$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    printf '%s\tlog=%s\t%s\t%s req/s\tp50 %s\tp99 %s\tload %s\n' "$name" "$log" "$path" "$rps" "$p50" "$p99" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
  kill "$pid" 2>/dev/null || true
  # A graceful stop; a server still up after 30 s (and its workers) is stopped by pid.
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then pkill -KILL -P "$pid" || true; kill -KILL "$pid" || true; fi
  wait "$pid" 2>/dev/null || true
  if [ "$log" = 1 ]; then echo "  access log: $(wc -l <"$logfile") lines, e.g. $(grep -m1 "\"pid\"" "$logfile")"; fi
  rm -f "$logfile"
}

for round in $(seq "$ROUNDS"); do
  echo "# round $round"
  for name in "${ORDER[@]}"; do run_one "$name" 0; done
  run_one granian-uvloop 1
done
