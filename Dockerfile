# Binnacle for users: build from source, run as a non-root user from a small
# distroless image. Needs a registry (rust, node and distroless base images);
# to build an image without one, use `make image` (a FROM-scratch image of the
# release build made on this machine).
#
#   docker build -t binnacle .
#   docker run -d -p 3000:3000 -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -e BINNACLE_PASSWORD_HASH='...' binnacle

FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/* \
 && rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --locked --version 0.3.10 --features no_downloads \
 && cargo install wasm-bindgen-cli --version 0.2.130 \
 && npm install --prefix /opt/tools binaryen@132.0.0
ENV PATH=/opt/tools/node_modules/.bin:$PATH
WORKDIR /src
COPY . .
RUN mkdir /src/empty-data && cargo leptos build --release --precompress \
 && for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do gzip -9 -n -c "$f" > "$f.gz"; done

# ssh:// hosts need the ssh client and the libraries it links.
FROM debian:bookworm-slim AS ssh
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /out/usr/bin && cp /usr/bin/ssh /out/usr/bin/ssh \
 && for lib in $(ldd /usr/bin/ssh | grep -o '/[^ ]*'); do mkdir -p /out$(dirname $lib); cp -L $lib /out$lib; done

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=ssh /out/ /
COPY --from=build /src/target/release/binnacle /usr/local/bin/binnacle
COPY --from=build /src/target/site /site
# The long history's file, with BINNACLE_DATA_DIR=/data (opt-in).
COPY --from=build --chown=65532:65532 /src/empty-data /data
VOLUME /data
ENV LEPTOS_SITE_ROOT=/site LEPTOS_ENV=PROD BINNACLE_LISTEN=0.0.0.0:3000 HOME=/home/nonroot
# distroless "nonroot" is uid 65532; give it the Docker socket's group with --group-add.
USER 65532:65532
EXPOSE 3000
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/binnacle"]
