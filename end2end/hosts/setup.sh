#!/usr/bin/env bash
# Real hosts for the several-hosts tests, all on this machine:
#   - `second`: Docker 26 (../shared/tools/second-engine.sh) on its unix socket,
#     and the same engine on tcp+TLS at 127.0.0.1:$TLS_PORT (client certificates required);
#   - `ssh`: OpenSSH on 127.0.0.1:$SSH_PORT whose test key may only run
#     `docker system dial-stdio` against the second engine;
#   - `podman`: Debian's Podman serving its Docker-compatible API on a socket.
# Certificates (a CA, the engine's, a client's, an expired client's, and a
# second CA that signed nothing of the engine's) and keys are made here with
# openssl and ssh-keygen. Prints the environment the tests read.
#
# usage: setup.sh start|stop     (as root on Debian)
set -euo pipefail
DIR=${BINNACLE_HOSTS_TEST_DIR:-$HOME/.cache/binnacle/hosts-test}
# The shared tool beside the project (../shared), wherever this clone is.
SECOND=${SECOND_ENGINE_SCRIPT:-}
for c in "$(cd "$(dirname "$0")/../.." && pwd)/../shared/tools/second-engine.sh" /work/shared/tools/second-engine.sh; do
  [ -n "$SECOND" ] || { [ -x "$c" ] && SECOND=$c; }
done
[ -n "$SECOND" ] || { echo "setup: second-engine.sh not found (../shared/tools)" >&2; exit 1; }
TLS_PORT=${BINNACLE_TEST_TLS_PORT:-23760}
SSH_PORT=${BINNACLE_TEST_SSH_PORT:-22220}
SOCK=/run/docker26.sock

pki() {
  local p=$DIR/pki
  [ -f "$p/.complete" ] && return 0
  rm -rf "$p"; mkdir -p "$p/good" "$p/wrong-ca" "$p/expired" "$p/no-cert"
  cd "$p"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=binnacle test CA" -keyout ca-key.pem -out ca.pem 2>/dev/null
  # The engine's certificate, for 127.0.0.1 and localhost.
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile server.ext -out server-cert.pem 2>/dev/null
  # A client certificate the engine accepts.
  openssl req -newkey rsa:2048 -nodes -subj "/CN=binnacle" -keyout good/key.pem -out client.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile client.ext -out good/cert.pem 2>/dev/null
  cp ca.pem good/ca.pem
  # The same client with a CA that did not sign the engine's certificate.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=another CA" -keyout other-ca-key.pem -out wrong-ca/ca.pem 2>/dev/null
  cp good/cert.pem good/key.pem wrong-ca/
  # A client certificate that expired in 2021.
  mkdir -p ca-db; : > ca-db/index.txt; echo 01 > ca-db/serial
  cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = $p/ca-db/index.txt
serial = $p/ca-db/serial
new_certs_dir = $p/ca-db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[client]
extendedKeyUsage = clientAuth
CNF
  openssl req -newkey rsa:2048 -nodes -subj "/CN=binnacle expired" -keyout expired/key.pem -out expired.csr 2>/dev/null
  openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca-key.pem -extensions client \
    -startdate 20200101000000Z -enddate 20210101000000Z -in expired.csr -out expired/cert.pem 2>/dev/null
  cp ca.pem expired/ca.pem
  # The CA only: no client certificate to present.
  cp ca.pem no-cert/ca.pem
  touch .complete
}

ssh_start() {
  local s=$DIR/ssh
  mkdir -p "$s" /run/sshd
  [ -f "$s/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$s/host_key"
  [ -f "$s/id" ] || ssh-keygen -q -t ed25519 -N '' -f "$s/id"
  chmod 600 "$s/id"
  echo "command=\"DOCKER_HOST=unix://$SOCK exec docker system dial-stdio\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding $(cat "$s/id.pub")" > "$s/authorized_keys"
  echo "[127.0.0.1]:$SSH_PORT $(cat "$s/host_key.pub")" > "$s/known_hosts"
  cat > "$s/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $s/host_key
AuthorizedKeysFile $s/authorized_keys
PidFile $s/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
CFG
  if [ -f "$s/sshd.pid" ] && kill -0 "$(cat "$s/sshd.pid")" 2>/dev/null; then return 0; fi
  /usr/sbin/sshd -f "$s/sshd_config" -E "$s/sshd.log"
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT) 2>/dev/null && return 0; sleep 0.1; done
  echo "setup: sshd did not come up; see $s/sshd.log" >&2; exit 1
}

podman_start() {
  local sock=/run/binnacle-podman.sock
  if ! curl -s --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then
    rm -f "$sock"
    setsid -f podman system service --time=0 "unix://$sock" </dev/null >"$DIR/podman.log" 2>&1
    for _ in $(seq 1 50); do curl -s --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  curl -s --unix-socket "$sock" http://d/_ping >/dev/null || { echo "setup: podman did not answer; see $DIR/podman.log" >&2; exit 1; }
  local image=${BINNACLE_TEST_IMAGE:-binnacle-busybox:latest}
  podman image exists "localhost/$image" 2>/dev/null || docker save "$image" | podman load >/dev/null
}

ssh_stop() {
  local pid; pid=$(cat "$DIR/ssh/sshd.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
}

second_start() {
  local p=$DIR/pki
  local args="--tlsverify --tlscacert $p/ca.pem --tlscert $p/server-cert.pem --tlskey $p/server-key.pem"
  # Restart it with TLS on the tcp port unless it already runs that way.
  if "$SECOND" status >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/$TLS_PORT) 2>/dev/null; then "$SECOND" stop >&2; fi
  SECOND_ENGINE_TCP_PORT=$TLS_PORT SECOND_ENGINE_DOCKERD_ARGS="$args" "$SECOND" start >&2
  # The test image, from the first engine.
  if ! DOCKER_HOST=unix://$SOCK docker image inspect "${BINNACLE_TEST_IMAGE:-binnacle-busybox:latest}" >/dev/null 2>&1; then
    docker save "${BINNACLE_TEST_IMAGE:-binnacle-busybox:latest}" | DOCKER_HOST=unix://$SOCK docker load >/dev/null
  fi
}

case "${1:-}" in
  start)
    mkdir -p "$DIR"
    pki
    second_start
    ssh_start
    podman_start
    cat <<ENV
BINNACLE_TEST_HOSTS_DIR=$DIR
BINNACLE_TEST_SECOND_SOCKET=$SOCK
BINNACLE_TEST_TLS_PORT=$TLS_PORT
BINNACLE_TEST_SSH_PORT=$SSH_PORT
BINNACLE_TEST_SECOND_SCRIPT=$SECOND
BINNACLE_TEST_PODMAN_SOCKET=/run/binnacle-podman.sock
ENV
    ;;
  stop) ssh_stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
