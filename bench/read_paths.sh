#!/usr/bin/env bash
# Public read paths under load: task list and task detail, served by two uvicorn workers on the
# demo district in SQLite. Needs wrk (Debian package `wrk`). Usage: bench/read_paths.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-15}
PORT=${BENCH_PORT:-8765}
WORK=$(mktemp -d)
export JIEBANG_DATABASE_URL="sqlite+aiosqlite:///$WORK/bench.sqlite3" JIEBANG_VAR_DIR="$WORK" JIEBANG_TICK_SECONDS=0
.venv/bin/jiebang db upgrade >/dev/null
.venv/bin/jiebang demo >/dev/null
.venv/bin/jiebang serve --host 127.0.0.1 --port "$PORT" --workers 2 >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/api/v1/tasks" >/dev/null && break; sleep 0.2; done
TASK=$(curl -sf "http://127.0.0.1:$PORT/api/v1/tasks?status=closed&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "machine: $(nproc) cores; $(date -u +%F); two uvicorn workers, SQLite, demo district"
for path in "/api/v1/tasks" "/api/v1/tasks?category=elderly_care&status=closed" "/api/v1/tasks/$TASK"; do
  printf '%-50s ' "$path"
  wrk -t2 -c32 -d"${SECONDS_EACH}s" "http://127.0.0.1:$PORT$path" | awk '/Requests\/sec/ {printf "%s req/s  ", $2} /Latency/ {printf "latency %s  ", $2} /Non-2xx/ {printf "NON-2xx %s", $4} END {print ""}'
done
