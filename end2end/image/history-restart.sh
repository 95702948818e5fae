#!/bin/sh
# `make image-test`, third part: the long history in the image's `/data`
# volume survives `docker restart` of Binnacle's own container. A busy
# labelled container is watched until its 6 h tier has buckets; Binnacle's
# container is restarted (SIGTERM writes the file); the same buckets must
# come back, with a `server_restart` marker.
#
# usage: history-restart.sh <binnacle image> <test image>
set -eu
image=$1
test_image=$2
name=binnacle-image-history
port=3303
docker rm -f -v $name >/dev/null 2>&1 || true
busy=$(docker run -d --label binnacle.test=image "$test_image" sh -c 'trap "exit 0" TERM; while true; do :; done')
jar=$(mktemp)
cleanup() { docker rm -f -v $name "$busy" >/dev/null 2>&1 || true; rm -f "$jar"; }
trap cleanup EXIT
# No -v: the image's own VOLUME /data (an anonymous volume) holds the file.
docker run -d --name $name --label binnacle.test=image -p 127.0.0.1:$port:3000 \
  -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
  -e BINNACLE_DATA_DIR=/data -e BINNACLE_PASSWORD=image-test "$image" >/dev/null
up() {
  for i in $(seq 1 100); do curl -fsS http://127.0.0.1:$port/healthz >/dev/null 2>&1 && break; sleep 0.2; done
  curl -s -c "$jar" -o /dev/null -d password=image-test http://127.0.0.1:$port/login
}
ask() {
  curl -s -b "$jar" -H 'content-type: application/json' -d "{\"host\": \"local\", \"id\": \"$busy\"$1}" \
    http://127.0.0.1:$port/api/container_metrics
}
# Buckets with memory in the 6 h tier, and whether a server_restart marker is there.
filled() {
  ask ', "range": "6h"' | python3 -c 'import json,sys
h = json.load(sys.stdin).get("history") or {}
n = sum(v is not None for v in h.get("mem_avg_kib", []))
r = any(m["kind"] == "server_restart" for m in h.get("markers", []))
print(n, int(r))'
}
up
ask '' >/dev/null # the Stats tab: 1 s samples feed the tiers
before=0
for i in $(seq 1 60); do
  set -- $(filled); before=$1
  [ "$before" -ge 2 ] && break; sleep 0.5
done
docker restart -t 10 $name >/dev/null
up
set -- $(filled); after=$1; marked=$2
docker logs $name 2>&1 | grep -i history | tail -3
if [ "$before" -ge 2 ] && [ "$after" -ge "$before" ] && [ "$marked" = 1 ]; then
  echo "image-test (history across docker restart): 1 passed, 0 failed ($before buckets before, $after after)"
else
  echo "image-test (history across docker restart): 0 passed, 1 failed (before $before, after $after, restart marker $marked)"
  exit 1
fi
