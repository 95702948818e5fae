#!/usr/bin/env bash
# `make run` serves even when a demo container cannot start: a demo made to
# fail (on a network that does not exist, as on an engine without its
# default bridge) gets a warning and is removed, and Binnacle answers. Then
# a re-run recreates missing demos and says so. Run by `make run-test`.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
cleanup() {
  [ -n "${pid:-}" ] && kill -- -"$pid" 2>/dev/null || true
  ids=$(docker ps -aq --filter label=binnacle.demo); [ -z "$ids" ] || docker rm -f $ids >/dev/null
  rm -f "$log"
}
trap cleanup EXIT
ids=$(docker ps -aq --filter label=binnacle.demo); [ -z "$ids" ] || docker rm -f $ids >/dev/null

echo "==> make run with a demo that cannot start"
setsid env BINNACLE_LISTEN="127.0.0.1:$port" BINNACLE_PASSWORD=run-test \
  BINNACLE_DEMO_RUN_ARGS=--network=binnacle-no-such-network make --no-print-directory run DEMO=on >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "FAIL: make run exited"; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$log"; echo "FAIL: not serving"; exit 1; }
grep -q "warning: demo container demo-idle could not start (network binnacle-no-such-network not found)" "$log" \
  || { cat "$log"; echo "FAIL: no warning naming the demo and why"; exit 1; }
left=$(docker ps -aq --filter label=binnacle.demo | wc -l)
[ "$left" = 0 ] || { docker ps -a --filter label=binnacle.demo; echo "FAIL: failed demos left behind"; exit 1; }
kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=

echo "==> a re-run recreates the missing demos and says so"
out=$(scripts/demo.sh "${BINNACLE_TEST_IMAGE:-binnacle-busybox:latest}" on)
echo "$out" | grep -q "demo container demo-cpu-burner is missing: creating it" || { echo "$out"; echo "FAIL"; exit 1; }
[ "$(docker ps -q --filter label=binnacle.demo | wc -l)" = 3 ] || { echo "FAIL: demos not running"; exit 1; }
docker stop -t 1 demo-idle >/dev/null
out=$(scripts/demo.sh "${BINNACLE_TEST_IMAGE:-binnacle-busybox:latest}" on)
echo "$out" | grep -q "demo container demo-idle is exited: starting it" || { echo "$out"; echo "FAIL"; exit 1; }
echo "ok: make run serves without its demos, and a re-run restores them"
