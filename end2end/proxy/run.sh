#!/usr/bin/env bash
# Binnacle's image behind Debian's nginx at /binnacle/ (the prefix passed
# through), for the proxy end-to-end test. Runs in the foreground until
# killed, then removes its container.
set -euo pipefail
IMAGE=${BINNACLE_IMAGE:-binnacle:latest}
NAME=binnacle-proxy-e2e
APP_PORT=3301
PROXY_PORT=${BINNACLE_PROXY_PORT:-3400}
dir=$(mktemp -d)
cleanup() { docker rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --label binnacle.test=proxy -p "127.0.0.1:$APP_PORT:3000" \
  -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
  -e BINNACLE_BASE_PATH=/binnacle -e BINNACLE_PASSWORD="${BINNACLE_PROXY_PASSWORD:-proxy e2e}" \
  -e BINNACLE_TRUSTED_PROXIES=172.16.0.0/12 "$IMAGE" >/dev/null
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$PROXY_PORT;
    client_max_body_size 64k;
    location /binnacle/ {
      proxy_pass http://127.0.0.1:$APP_PORT;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_http_version 1.1;
    }
  }
}
CONF
nginx -c "$dir/nginx.conf" -g 'daemon off;' &
wait $!
