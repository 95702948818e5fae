#!/usr/bin/env bash
# The demo containers of `make run`: optional, so this never fails.
#
#   scripts/demo.sh <image> <mode>
#
# mode `auto` (make's default): only on an engine `make` started itself
# (<engine mark> given as $3 exists) that has no containers other than the
# demos; `on`: always; `off`: never. A demo that is missing is (re)created
# and said so; one that is stopped is started; one that cannot be created
# or started (e.g. the engine has no default bridge) gets a warning and is
# removed, so a re-run tries again instead of skipping it, and Binnacle is
# served anyway. Extra `docker run` arguments for every demo may be given in
# BINNACLE_DEMO_RUN_ARGS (the tests use it to make a demo fail).
set -uo pipefail
image=$1 mode=${2:-auto} mark=${3:-}

if [ "$mode" = off ]; then exit 0; fi
if [ "$mode" = auto ]; then
  [ -n "$mark" ] && [ -f "$mark" ] || exit 0
  others=$(docker ps -aq --filter 'label!=binnacle.demo' 2>/dev/null | wc -l)
  [ "$others" = 0 ] || exit 0
fi

# name | extra run arguments | command
demos=(
  "demo-idle||trap 'exit 0' TERM; while true; do sleep 1; done"
  "demo-cpu-burner||trap 'exit 0' TERM; while true; do :; done"
  "demo-memory-grower|--memory 256m --restart unless-stopped|trap 'exit 0' TERM; x=''; while true; do x=\"\$x\$(head -c 1048576 /dev/zero | tr '\\0' x)\"; sleep 1; done"
)

warn() { echo "warning: $*" >&2; }
# Docker's complaint, first line, without its prefixes.
reason() { printf '%s\n' "$1" | head -n1 | sed 's/^docker: //; s/^Error response from daemon: //'; }
failed=0
for entry in "${demos[@]}"; do
  IFS='|' read -r name args command <<<"$entry"
  state=$(docker inspect -f '{{.State.Status}}' "$name" 2>/dev/null || true)
  case "$state" in
    running) continue ;;
    "")
      echo "==> demo container $name is missing: creating it"
      # shellcheck disable=SC2086
      if ! err=$(docker run -d --label binnacle.demo=true --name "$name" $args ${BINNACLE_DEMO_RUN_ARGS:-} \
          "$image" sh -c "$command" 2>&1 >/dev/null); then
        warn "demo container $name could not start ($(reason "$err")); removed, Binnacle is served without it"
        docker rm -f "$name" >/dev/null 2>&1
        failed=$((failed + 1))
      fi ;;
    *)
      echo "==> demo container $name is $state: starting it"
      if ! err=$(docker start "$name" 2>&1 >/dev/null); then
        warn "demo container $name could not start ($(reason "$err")); removed, the next run creates it again"
        docker rm -f "$name" >/dev/null 2>&1
        failed=$((failed + 1))
      fi ;;
  esac
done
[ "$failed" = 0 ] || warn "$failed demo container(s) failed; the demos are optional"
exit 0
