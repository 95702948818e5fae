#!/bin/sh
# `make image-test`, second part: the image run with the mounts the README
# documents (the host's cgroup tree read-only, `pid: host`). Three labelled
# containers are watched through the API; their samples must come from the
# cgroup files, with network counters from /proc, read as the image's
# unprivileged user.
#
# usage: cgroup-mounts.sh <binnacle image> <test image>
set -eu
image=$1
test_image=$2
name=binnacle-image-cgroup
port=3302
docker rm -f $name >/dev/null 2>&1 || true
ids=""
for i in 1 2 3; do
  ids="$ids $(docker run -d --label binnacle.test=image "$test_image" sh -c 'trap "exit 0" TERM; while true; do sleep 1; done')"
done
cleanup() { docker rm -f $name $ids >/dev/null 2>&1 || true; rm -f "$jar"; }
jar=$(mktemp)
trap cleanup EXIT
docker run -d --name $name --label binnacle.test=image -p 127.0.0.1:$port:3000 \
  -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
  -v /sys/fs/cgroup:/host/cgroup:ro -e BINNACLE_CGROUP_ROOT=/host/cgroup --pid host \
  -e BINNACLE_LOG=info,engine::cgroup=debug -e BINNACLE_PASSWORD=image-test "$image" >/dev/null
for i in $(seq 1 50); do curl -fsS http://127.0.0.1:$port/healthz >/dev/null 2>&1 && break; sleep 0.2; done
curl -s -c "$jar" -o /dev/null -d password=image-test http://127.0.0.1:$port/login
metrics() {
  curl -s -b "$jar" -H 'content-type: application/json' \
    -d "{\"host\": \"local\", \"id\": \"$1\"}" http://127.0.0.1:$port/api/container_metrics >/dev/null
}
for id in $ids; do metrics "$id"; done
sleep 3
for id in $ids; do metrics "$id"; done
health=$(curl -s -b "$jar" http://127.0.0.1:$port/healthz)
logs=$(docker logs $name 2>&1)
found=$(echo "$logs" | grep -c 'cgroup found.*net_from_proc=true' || true)
if echo "$health" | grep -q '"stats_source":"cgroup v[12] files (network from /proc)"' && [ "$found" -ge 3 ]; then
  echo "image-test (cgroup mounts): 1 passed, 0 failed"
else
  echo "$logs" | tail -20
  echo "healthz: $health"
  echo "image-test (cgroup mounts): cgroups found with network from /proc: $found of 3"
  echo "image-test (cgroup mounts): 0 passed, 1 failed"
  exit 1
fi
