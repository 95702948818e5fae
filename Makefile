# Binnacle: the two commands are `make run` and `make test`.
# Each installs what is missing (and skips what is present), so a fresh
# machine of this kind needs nothing beforehand. Read the README for settings.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Build output and tools live outside the clone, so fresh clones (CI) reuse them.
CACHE_DIR        ?= $(HOME)/.cache/binnacle
export CARGO_TARGET_DIR ?= $(CACHE_DIR)/target
TOOLS_DIR        := $(CACHE_DIR)/tools
export PATH      := $(TOOLS_DIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CARGO_LEPTOS_VERSION := 0.3.10
BINARYEN_VERSION     := 132.0.0
BINARYEN_MAJOR       := 132
# The wasm-bindgen CLI must equal the library version in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)

TEST_IMAGE  ?= binnacle-busybox:latest
export BINNACLE_TEST_IMAGE := $(TEST_IMAGE)
APT_RUN     := busybox-static
APT_TEST    := busybox-static chromium nginx prometheus curl python3
APT_HOSTS   := socat openssh-server openssl podman curl
ENGINE_MARK := $(CACHE_DIR)/engine-started-by-make
RELEASE_BIN  = $(CARGO_TARGET_DIR)/release/binnacle

.PHONY: bench bench-engine bench-hosts bench-fleet bench-prometheus bench-ui bench-logs run-test image image-test image-ssh-test e2e-proxy hosts-test help run test lint deps deps-run deps-test apt-run apt-test apt-hosts rust-tools wasm-opt e2e-deps \
        engine test-image build-release unit e2e demo clean-test-containers check-site

help:
	@echo "make run   - install what is missing, build (release) and serve on http://127.0.0.1:3000"
	@echo "make test  - install what is missing, run unit, integration and browser tests"

# ---------------------------------------------------------------- installs

define apt_install
	missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "error: missing Debian packages:$$missing (install them, or run as root on Debian)"; exit 1; fi; \
	  echo "==> installing Debian packages:$$missing (about a minute)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

apt-run:
	@$(call apt_install,$(APT_RUN))

apt-hosts:
	@$(call apt_install,$(APT_HOSTS))

apt-test:
	@$(call apt_install,$(APT_TEST))
	@# Debian's binaryen (108) writes broken wasm without failing: never let it be used.
	@if dpkg -s binaryen >/dev/null 2>&1; then echo "==> removing Debian's binaryen (writes broken wasm)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq binaryen >/dev/null; fi

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || { \
	  echo "==> adding the wasm32 target (seconds)"; rustup target add wasm32-unknown-unknown; }
	@for c in rustfmt clippy; do rustup component list --installed | grep -q "^$$c" || { \
	  echo "==> adding the $$c component (seconds)"; rustup component add $$c; }; done
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
	  echo "==> building cargo-leptos $(CARGO_LEPTOS_VERSION) (about 20 minutes on 2 cores, once)"; \
	  cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION) --features no_downloads; fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
	  echo "==> building wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 4 minutes, once)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; fi

wasm-opt:
	@if ! "$(TOOLS_DIR)/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version $(BINARYEN_MAJOR)"; then \
	  echo "==> installing wasm-opt from npm's binaryen $(BINARYEN_VERSION) (seconds)"; \
	  mkdir -p "$(TOOLS_DIR)"; npm install --silent --no-audit --no-fund --prefix "$(TOOLS_DIR)" binaryen@$(BINARYEN_VERSION); fi

e2e-deps:
	@if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then \
	  echo "==> installing Playwright (npm ci, seconds; the browser is Debian's chromium)"; \
	  (cd end2end && npm ci --silent --no-audit --no-fund); fi

deps-run: apt-run rust-tools wasm-opt
deps-test: apt-test rust-tools wasm-opt e2e-deps

# ---------------------------------------------------------------- engine

# An existing engine is used as is. With none, as root on Debian: install
# docker.io and start dockerd in the background.
engine:
	@if timeout 30 docker info >/dev/null 2>&1; then exit 0; fi; \
	if [ -f "$(ENGINE_MARK)" ] && [ -f /var/run/docker.pid ] && kill -0 "$$(cat /var/run/docker.pid)" 2>/dev/null; then \
	  echo "==> the dockerd this Makefile started does not answer: restarting it"; \
	  pid=$$(cat /var/run/docker.pid); kill "$$pid"; kill -CONT "$$pid" 2>/dev/null; \
	  for i in $$(seq 1 20); do kill -0 "$$pid" 2>/dev/null || break; sleep 1; done; \
	  kill -9 "$$pid" 2>/dev/null || true; pkill -9 -f "^containerd --config /var/run/docker/containerd/containerd.toml" || true; sleep 1; \
	fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "error: no Docker engine answers (docker info failed). Start one, or set DOCKER_HOST."; exit 1; fi; \
	if ! command -v dockerd >/dev/null; then \
	  echo "==> installing docker.io (about a minute)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; fi; \
	if timeout 30 docker info >/dev/null 2>&1; then exit 0; fi; \
	echo "==> starting dockerd in the background (log: /var/log/binnacle-dockerd.log)"; \
	mkdir -p "$(CACHE_DIR)"; \
	nohup dockerd >/var/log/binnacle-dockerd.log 2>&1 & \
	for i in $$(seq 1 60); do timeout 10 docker info >/dev/null 2>&1 && break; sleep 0.5; done; \
	timeout 30 docker info >/dev/null 2>&1 || { echo "error: dockerd did not come up; see /var/log/binnacle-dockerd.log"; exit 1; }; \
	touch "$(ENGINE_MARK)"

# A tiny local image from Debian's busybox-static: no registry is needed.
test-image: apt-run engine
	@if ! docker image inspect $(TEST_IMAGE) >/dev/null 2>&1; then \
	  echo "==> building $(TEST_IMAGE) from /bin/busybox (seconds)"; \
	  dir=$$(mktemp -d); mkdir -p $$dir/bin $$dir/tmp $$dir/proc $$dir/sys $$dir/dev $$dir/etc; \
	  cp /bin/busybox $$dir/bin/busybox; \
	  for a in $$(/bin/busybox --list); do [ "$$a" = busybox ] || ln -s busybox $$dir/bin/$$a; done; \
	  echo 'root:x:0:0:root:/:/bin/sh' > $$dir/etc/passwd; \
	  tar -C $$dir -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - $(TEST_IMAGE) >/dev/null; \
	  rm -rf $$dir; fi

# ---------------------------------------------------------------- build

build-release: deps-run
	@echo "==> release build (about 8 minutes from clean, under a minute when cached)"
	cargo leptos build --release --precompress
	@# cargo-leptos writes brotli at its best; its gzip is weaker than gzip -9.
	@for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do gzip -9 -n -c "$$f" > "$$f.gz"; done
	@$(MAKE) --no-print-directory check-site

# The site (wasm, js, css) must be where the binary will look for it.
check-site:
	@test -f target/site/pkg/binnacle.wasm || { echo "error: target/site/pkg/binnacle.wasm missing after build"; exit 1; }

# ---------------------------------------------------------------- run

# Optional demo containers (scripts/demo.sh): DEMO=auto (only on an engine
# make started, with no other containers), on or off. Never fails the run.
DEMO ?= auto
demo: test-image
	@scripts/demo.sh $(TEST_IMAGE) $(DEMO) "$(ENGINE_MARK)"

run: deps-run engine build-release demo
	@echo "==> serving on http://$${BINNACLE_LISTEN:-127.0.0.1:3000} (Ctrl-C to stop)"
	LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD $(RELEASE_BIN)

# ---------------------------------------------------------------- test

clean-test-containers:
	@ids=$$(docker ps -aq --filter label=binnacle.test); [ -z "$$ids" ] || docker rm -f $$ids >/dev/null

unit: deps-test engine test-image
	@echo "==> unit and integration tests (per package: wire, engine, app with ssr, server)"
	@# Tests that kill, stop or restart dockerd run only when this make started dockerd itself.
	cargo test -p wire
	BINNACLE_TEST_RESTART_DOCKERD=$$([ -f "$(ENGINE_MARK)" ] && echo 1 || echo 0) cargo test -p engine
	cargo test -p app --features ssr
	BINNACLE_TEST_PROMETHEUS=1 BINNACLE_TEST_RESTART_DOCKERD=$$([ -f "$(ENGINE_MARK)" ] && echo 1 || echo 0) cargo test -p server
	@$(MAKE) --no-print-directory clean-test-containers

e2e: deps-test engine test-image build-release
	@echo "==> browser tests (Playwright + Debian chromium) against the release build"
	@$(MAKE) --no-print-directory clean-test-containers
	@status=0; (cd end2end && BINNACLE_BIN="$(RELEASE_BIN)" BINNACLE_SITE_ROOT="$(CURDIR)/target/site" \
	  npx playwright test) || status=$$?; \
	$(MAKE) --no-print-directory clean-test-containers; exit $$status

# Formatting and lints, for the server (ssr) and browser (hydrate, wasm32) builds.
lint: rust-tools
	@echo "==> cargo fmt --check and cargo clippy -D warnings (ssr and hydrate builds)"
	cargo fmt --all -- --check
	cargo clippy -p wire -p engine -p server --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# Several real hosts on this machine (end2end/hosts/setup.sh): Docker 26 beside
# the system's engine, over its socket, tcp+TLS (good and bad certificates)
# and ssh, and Podman; the engine side in cargo tests, then Chromium.
hosts-test: deps-test apt-hosts engine test-image build-release
	@echo "==> several hosts: a second Docker engine (unix, TLS, ssh) and Podman on this machine"
	@status=0; env=$$(end2end/hosts/setup.sh start) || exit 1; export $$env; \
	cargo test -p server --test hosts || status=$$?; \
	$(MAKE) --no-print-directory image-ssh-test || status=$$?; \
	(cd end2end && BINNACLE_BIN="$(RELEASE_BIN)" BINNACLE_SITE_ROOT="$(CURDIR)/target/site" \
	  npx playwright test --config playwright.hosts.config.ts) || status=$$?; \
	end2end/hosts/setup.sh stop; \
	ids=$$(DOCKER_HOST=unix://$$BINNACLE_TEST_SECOND_SOCKET docker ps -aq --filter label=binnacle.test); \
	[ -z "$$ids" ] || DOCKER_HOST=unix://$$BINNACLE_TEST_SECOND_SOCKET docker rm -f $$ids >/dev/null; \
	ids=$$(podman ps -aq --filter label=binnacle.test); [ -z "$$ids" ] || podman rm -f $$ids >/dev/null; \
	$(MAKE) --no-print-directory clean-test-containers; exit $$status

test: lint unit e2e hosts-test image-test e2e-proxy run-test

# `make run` keeps serving when a demo container cannot start (scripts/run-test.sh).
run-test: deps-run apt-test engine test-image build-release
	scripts/run-test.sh

# ---------------------------------------------------------------- benchmarks

# Criterion benches of the engine's hot paths (ring, formulas, page encoding).
bench: deps-run
	cargo bench -p engine --bench engine

BENCH_SECONDS ?= 60
# The head of a generated docs/performance-*.md: its title and the target
# that writes it, the date and the machine.
bench_head = echo "\# $(1) (generated by \`make $(2)\`)"; echo; \
	echo "- date: $$(date -u +%Y-%m-%dT%H:%MZ)"; \
	echo "- machine: $$(nproc) cores, $$(free -g | awk '/Mem:/{print $$2}') GiB, $$(uname -sr)"
BENCH_SIZES   ?= 10 50
# Watches N labelled busybox containers for BENCH_SECONDS with Binnacle's
# engine (cgroup files, then the Engine API), then the same with `docker
# stats`; writes docs/performance-engine.md.
bench-engine: engine test-image
	cargo build --release -p engine --example bench_engine
	@out=docs/performance-engine.md; mkdir -p docs; { \
	  $(call bench_head,Metrics engine cost,bench-engine); \
	  echo "- engine: Docker $$(docker version -f '{{.Server.Version}}'), API $$(docker version -f '{{.Server.APIVersion}}'), cgroup $$(docker info -f '{{.CgroupVersion}}')"; \
	  echo "- each run: $(BENCH_SECONDS) s, containers idle (busybox sleep loop), sampled every 1 s; first the daemon with nothing watching, then Binnacle reading cgroup files, Binnacle asking the Engine API, and \`docker stats\`"; echo; \
	  echo "| containers | collector | samples | client CPU (s) | client CPU per sample (µs) | daemon CPU (s) | daemon CPU per sample (ms) | client peak RSS (MiB) | duration |"; \
	  echo "|---|---|---|---|---|---|---|---|---|"; } > $$out; \
	for n in $(BENCH_SIZES); do \
	  echo "==> $$n containers, $(BENCH_SECONDS) s each for Binnacle and for docker stats"; \
	  ids=$$(for i in $$(seq $$n); do docker run -d --label binnacle.bench=engine $(TEST_IMAGE) \
	    sh -c 'trap "exit 0" TERM; while true; do sleep 1; done'; done); \
	  sleep 3; \
	  $(CARGO_TARGET_DIR)/release/examples/bench_engine $(BENCH_SECONDS) $$ids >> $$out 2>> $$out.notes || status=1; \
	  docker rm -f $$ids >/dev/null; \
	done; { echo; sed 's/^/- /' $$out.notes; } >> $$out; rm -f $$out.notes; cat $$out
	@$(MAKE) --no-print-directory bench-hosts

BENCH_HOSTS_N ?= 10
# Two hosts at once: the system's Docker and Docker 26 (the shared second
# engine); per-host samples and daemon CPU, then the list's latency while
# the second engine hangs. Writes docs/performance-hosts.md.
bench-hosts: engine test-image
	cargo build --release -p engine --example bench_hosts
	@env=$$(end2end/hosts/setup.sh start) || exit 1; export $$env; sock=$$BINNACLE_TEST_SECOND_SOCKET; \
	loop='trap "exit 0" TERM; while true; do sleep 1; done'; \
	l=$$(for i in $$(seq $(BENCH_HOSTS_N)); do docker run -d --label binnacle.bench=hosts $(TEST_IMAGE) sh -c "$$loop"; done | paste -sd,); \
	r=$$(for i in $$(seq $(BENCH_HOSTS_N)); do DOCKER_HOST=unix://$$sock docker run -d --label binnacle.bench=hosts $(TEST_IMAGE) sh -c "$$loop"; done | paste -sd,); \
	out=docs/performance-hosts.md; { \
	  $(call bench_head,Two hosts at once,bench-engine); \
	  echo "- $(BENCH_HOSTS_N) idle busybox containers on each host, watched at 1 s for $(BENCH_SECONDS) s"; echo; } > $$out; \
	$(CARGO_TARGET_DIR)/release/examples/bench_hosts $(BENCH_SECONDS) $$sock $$l $$r >> $$out || status=1; \
	docker rm -f $$(echo $$l | tr , ' ') >/dev/null; DOCKER_HOST=unix://$$sock docker rm -f $$(echo $$r | tr , ' ') >/dev/null; \
	end2end/hosts/setup.sh stop; cat $$out

BENCH_LIST_SIZE ?= 500
# What the list's live numbers cost the daemon and Binnacle, next to
# `docker stats`, in four phases; at 50 containers on the system's engine
# through the Engine API and from cgroup files, at 200 through the API (the
# rate cap), at 50 on Docker 26 (spread mode); then the list page with 500
# containers, on one page and in pages. Writes docs/performance-fleet.md.
bench-fleet: deps-test engine test-image build-release
	@# A bench that failed half-way leaves its containers: none may weigh on the next run.
	@ids=$$(docker ps -aq --filter label=binnacle.bench=fleet); [ -z "$$ids" ] || docker rm -f $$ids >/dev/null
	@out=docs/performance-fleet.md; v=$$(docker version -f '{{.Server.Version}}'); { \
	  $(call bench_head,The list's live numbers: cost,bench-fleet); \
	  echo "- cgroup v$$(docker info -f '{{.CgroupVersion}}')"; \
	  echo "- Binnacle with the default fleet settings (10 s, 5 requests/s per host), idle timeout 20 s for the bench"; \
	  echo "- \"Engine API\": BINNACLE_STATS_SOURCE=api, as for a remote host; \"cgroup files\": the default for the local host"; echo; } > $$out; \
	for run in "50 api" "50 auto" "200 api"; do set -- $$run; \
	  label=$$([ $$2 = api ] && echo "Engine API" || echo "cgroup files"); \
	  echo "==> $$1 containers on Docker $$v ($$label), $(BENCH_SECONDS) s a phase"; \
	  { echo "## $$1 containers, Docker $$v, $$label"; echo; } >> $$out; \
	  (cd end2end && BENCH_STATS_SOURCE=$$2 node perf/fleet-bench.mjs "$(RELEASE_BIN)" "$(CURDIR)/target/site" $$1 $(BENCH_SECONDS)) >> $$out; echo >> $$out; \
	done; \
	env=$$(end2end/hosts/setup.sh start) && export $$env && \
	{ echo "## 50 containers, Docker $$(DOCKER_HOST=unix://$$BINNACLE_TEST_SECOND_SOCKET docker version -f '{{.Server.Version}}'), Engine API (spread)"; echo; } >> $$out && \
	(cd end2end && BENCH_STATS_SOURCE=api node perf/fleet-bench.mjs "$(RELEASE_BIN)" "$(CURDIR)/target/site" 50 $(BENCH_SECONDS) unix://$$BINNACLE_TEST_SECOND_SOCKET) >> $$out; \
	end2end/hosts/setup.sh stop; \
	{ echo; echo "## The list with $(BENCH_LIST_SIZE) containers, Docker $$v"; echo; } >> $$out; \
	(cd end2end && node perf/list-scale.mjs "$(RELEASE_BIN)" "$(CURDIR)/target/site" $(BENCH_LIST_SIZE) 30) >> $$out; \
	cat $$out

BENCH_SCRAPE_SIZES ?= 50 200 1000
# One `/metrics` scrape: the time and allocations to snapshot and encode N
# containers (made up, so the figure is the encoder's, not the engine's).
# Writes docs/performance-prometheus.md.
bench-prometheus:
	cargo build --release -p server --example bench_scrape
	@out=docs/performance-prometheus.md; mkdir -p docs; { \
	  $(call bench_head,Prometheus scrape cost,bench-prometheus); \
	  echo "- each row: 200 scrapes of made-up containers (one interface, a CPU limit, one whitelisted label); time and allocations from the snapshot to the OpenMetrics text, no HTTP and no engine"; \
	  echo "- goal (issue 16): at most 10 ms at 200 containers. cAdvisor, what Prometheus users run instead, cannot run on this machine (no image registry, no Debian package); the end-to-end test scrapes a real Binnacle with a real Prometheus every second"; echo; \
	  echo "| containers | series | median | p99 | allocations per scrape | bytes allocated per scrape | text size |"; \
	  echo "|---|---|---|---|---|---|---|"; } > $$out; \
	for n in $(BENCH_SCRAPE_SIZES); do $(CARGO_TARGET_DIR)/release/examples/bench_scrape $$n 200 >> $$out; done; cat $$out

# The long history: 200 containers with every tier full (memory, the file
# written and read back, one sample's cost), then one container's month at
# 10 s in Prometheus' TSDB (promtool), for comparison; writes
# docs/performance-history.md.
bench-history: deps-run apt-test
	cargo build --release -p engine --example bench_history
	@out=docs/performance-history.md; mkdir -p docs; tmp=$$(mktemp -d /var/tmp/binnacle-bench-history.XXXXXX); { \
	  $(call bench_head,Long history,bench-history); \
	  echo "- the file on $$(df -T /var/tmp | awk 'NR==2{print $$2}') (/var/tmp), fsynced"; echo; \
	  $(CARGO_TARGET_DIR)/release/examples/bench_history 200 $$tmp; echo; \
	  echo "## Next to Prometheus"; echo; \
	  echo "One container's month at 10 s (CPU, working set, network and block counters, 6 series, 1.55 M samples) as cAdvisor would expose it, written into Prometheus' TSDB by promtool tsdb create-blocks-from openmetrics ($$(promtool --version 2>&1 | head -1 | cut -d' ' -f1-3)), next to Binnacle's month of the same container (T1-T4: 10 s for 6 h down to 1 h for 30 days, min/avg/max)."; echo; \
	  python3 end2end/perf/prometheus-month.py $$(( $$(date +%s) - 7200 )) > $$tmp/month.om; \
	  t0=$$(date +%s); promtool tsdb create-blocks-from openmetrics $$tmp/month.om $$tmp/tsdb >/dev/null 2>&1; t1=$$(date +%s); \
	  bytes=$$(du -sb $$tmp/tsdb | cut -f1); \
	  echo "| store | one container, 30 days | resolution kept |"; echo "|---|---|---|"; \
	  echo "| Prometheus TSDB (blocks on disk) | $$(( bytes / 1024 )) KiB | every 10 s sample, 30 days |"; \
	  echo "| Binnacle history file | $$(grep -o '[0-9]* KiB per container' $$out | cut -d' ' -f1) KiB | 10 s for 6 h, 1 min for 24 h, 10 min for 7 d, 1 h for 30 d; min/avg/max |"; \
	  echo; echo "(promtool took $$(( t1 - t0 )) s to build the blocks.)"; \
	} > $$out; rm -rf $$tmp; cat $$out

# Chart render time in headless Chromium and the wasm size; writes docs/performance-ui.md.
bench-ui: deps-test engine build-release
	cd end2end && BINNACLE_BIN="$(RELEASE_BIN)" BINNACLE_SITE_ROOT="$(CURDIR)/target/site" \
	  npx playwright test --config playwright.perf.config.ts perf/chart.perf.ts

# The Logs tab under a container writing ~10,000 lines a second, beside
# `docker logs -f`: CPU and memory of each reader and of dockerd, and the
# page's input latency; writes docs/performance-logs.md (about 2 minutes).
bench-logs: deps-test engine test-image build-release
	cd end2end && BINNACLE_BIN="$(RELEASE_BIN)" BINNACLE_SITE_ROOT="$(CURDIR)/target/site" \
	  npx playwright test --config playwright.perf.config.ts perf/logs.perf.ts
	@ids=$$(docker ps -aq --filter label=binnacle.test=perf-logs); [ -z "$$ids" ] || docker rm -f $$ids >/dev/null

# ---------------------------------------------------------------- image

IMAGE ?= binnacle:latest
# A FROM-scratch image of this machine's release build (binary, the shared
# libraries it links, the site), built without any registry.
# ssh (Debian's openssh-client) rides along for ssh:// hosts; it needs a
# passwd entry for its user and a writable HOME.
image: build-release engine apt-hosts
	@echo "==> building $(IMAGE) from the release build (seconds)"
	@dir=$$(mktemp -d); mkdir -p $$dir/rootfs/usr/local/bin $$dir/rootfs/usr/bin $$dir/rootfs/site $$dir/rootfs/tmp $$dir/rootfs/etc $$dir/data; \
	cp $(RELEASE_BIN) $$dir/rootfs/usr/local/bin/binnacle; \
	cp /usr/bin/ssh $$dir/rootfs/usr/bin/ssh; \
	cp -r target/site/. $$dir/rootfs/site/; \
	for lib in $$(ldd $(RELEASE_BIN) /usr/bin/ssh | grep -o '/[^ ]*' | grep -v ':$$' | sort -u); do \
	  mkdir -p $$dir/rootfs$$(dirname $$lib); cp -L $$lib $$dir/rootfs$$lib; done; \
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' > $$dir/rootfs/etc/passwd; \
	printf 'root:x:0:\nnonroot:x:65532:\n' > $$dir/rootfs/etc/group; \
	chmod 1777 $$dir/rootfs/tmp; \
	printf '%s\n' 'FROM scratch' 'COPY rootfs/ /' 'COPY --chown=65532:65532 data/ /data/' 'VOLUME /data' \
	  'ENV LEPTOS_SITE_ROOT=/site LEPTOS_ENV=PROD BINNACLE_LISTEN=0.0.0.0:3000 HOME=/tmp' \
	  'USER 65532:65532' 'EXPOSE 3000' 'ENTRYPOINT ["/usr/local/bin/binnacle"]' > $$dir/Dockerfile; \
	docker build -q -t $(IMAGE) $$dir >/dev/null; rm -rf $$dir; \
	docker image ls $(IMAGE) --format '{{.Repository}}:{{.Tag}} {{.Size}}'

# The image reaches an ssh:// host (hosts-test's sshd relays to Docker 26).
image-ssh-test: image
	@name=binnacle-image-ssh; docker rm -f $$name >/dev/null 2>&1 || true; d=$$BINNACLE_TEST_HOSTS_DIR; \
	printf '[[host]]\nname = "ssh"\nurl = "ssh://root@127.0.0.1:%s"\nidentity = "/keys/id"\nknown_hosts = "/keys/known_hosts"\n' \
	  "$$BINNACLE_TEST_SSH_PORT" > $$d/image-hosts.toml; \
	mkdir -p $$d/image-keys; cp $$d/ssh/id $$d/ssh/known_hosts $$d/image-keys/; chown -R 65532 $$d/image-keys; \
	docker run -d --name $$name --label binnacle.test=image --network host \
	  -v $$d/image-keys:/keys:ro -v $$d/image-hosts.toml:/hosts.toml:ro \
	  -e BINNACLE_LISTEN=127.0.0.1:3301 -e BINNACLE_AUTH=none -e BINNACLE_HOSTS_FILE=/hosts.toml \
	  -e DOCKER_HOST=unix:///nowhere.sock $(IMAGE) >/dev/null; \
	ok=0; for i in $$(seq 1 50); do \
	  if curl -fsS -X POST -H 'content-type: application/json' -d '{}' http://127.0.0.1:3301/api/list_containers 2>/dev/null \
	    | grep -q '"name":"ssh","reachable":true'; then ok=1; break; fi; sleep 0.2; done; \
	docker logs $$name 2>&1 | tail -3; docker rm -f $$name >/dev/null; \
	[ $$ok = 1 ] && echo "image-ssh-test: 1 passed, 0 failed" || { echo "image-ssh-test: 0 passed, 1 failed (the image did not reach the ssh host)"; exit 1; }

# Runs the image with the socket mounted (non-root, the socket's group
# added), checks that it reaches the engine and that login works.
image-test: image apt-test
	@name=binnacle-image-test; docker rm -f $$name >/dev/null 2>&1 || true; \
	docker run -d --name $$name --label binnacle.test=image -p 127.0.0.1:3300:3000 \
	  -v /var/run/docker.sock:/var/run/docker.sock --group-add $$(stat -c %g /var/run/docker.sock) \
	  -e BINNACLE_PASSWORD=image-test $(IMAGE) >/dev/null; \
	ok=0; for i in $$(seq 1 50); do \
	  if curl -fsS http://127.0.0.1:3300/healthz 2>/dev/null | grep -q '"status":"ok"'; then ok=1; break; fi; sleep 0.2; done; \
	code=$$(curl -s -o /dev/null -w '%{http_code}' -d password=image-test http://127.0.0.1:3300/login); \
	user=$$(docker inspect -f '{{.Config.User}}' $$name); \
	docker logs $$name 2>&1 | tail -3; docker rm -f $$name >/dev/null; \
	[ $$ok = 1 ] && [ "$$code" = 303 ] && [ "$$user" = 65532:65532 ] \
	  && echo "image-test: 1 passed, 0 failed" || { echo "image-test failed: healthz ok=$$ok, login $$code, user $$user"; echo "image-test: 0 passed, 1 failed"; exit 1; }
	@end2end/image/cgroup-mounts.sh $(IMAGE) $(TEST_IMAGE)
	@end2end/image/history-restart.sh $(IMAGE) $(TEST_IMAGE)

# The image behind Debian's nginx at /binnacle/, driven in Chromium.
e2e-proxy: deps-test image
	@echo "==> browser test behind nginx at /binnacle/ (the container image)"
	cd end2end && npx playwright test --config playwright.proxy.config.ts
	@$(MAKE) --no-print-directory clean-test-containers
