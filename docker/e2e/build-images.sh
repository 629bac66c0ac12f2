#!/usr/bin/env bash
# Builds the compose stack's images FROM scratch out of this machine's own binaries, tagged with the exact
# names docker-compose.yml uses, so `docker-compose up` runs without any registry (there is none on the
# test machines). Not for production: the real images are prom/pushgateway, prom/prometheus and
# docker/node/Dockerfile.
#   docker/e2e/build-images.sh            (needs podman; run `npm run build` first for the node image)
# Env: PODMAN (default podman), CONTAINERS_CONF (podman settings for this sandbox).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PODMAN=${PODMAN:-podman}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Copies each binary's shared libraries (as ldd lists them) into a root filesystem at the same paths.
copy_libs() {
  local rootfs=$1
  shift
  local lib
  for lib in $(ldd "$@" | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

build() { # name, context
  "$PODMAN" build --quiet --tag "$1" "$2" >/dev/null
  echo "built $1"
}

# --- prom/pushgateway:v1.5.1 from Debian's prometheus-pushgateway (1.5.1) ---
ctx=$WORK/pushgateway
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp"
copy_libs "$ctx/rootfs" /usr/bin/prometheus-pushgateway
cp /usr/bin/prometheus-pushgateway "$ctx/rootfs/bin/pushgateway"
printf 'FROM scratch\nCOPY rootfs/ /\nEXPOSE 9091\nENTRYPOINT ["/bin/pushgateway"]\n' >"$ctx/Dockerfile"
build prom/pushgateway:v1.5.1 "$ctx"

# --- prom/prometheus:v2.42.0 from Debian's prometheus (2.42.0); same entrypoint, user (nobody, 65534) and
# data dir owned by it as upstream, so the compose file's unprivileged Prometheus is tested as shipped ---
ctx=$WORK/prometheus
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc/prometheus" "$ctx/rootfs/tmp" "$ctx/data/prometheus"
copy_libs "$ctx/rootfs" /usr/bin/prometheus
cp /usr/bin/prometheus "$ctx/rootfs/bin/prometheus"
# COPY would make /prometheus root's; ADD keeps a tar archive's owners.
tar --numeric-owner --owner=65534 --group=65534 -C "$ctx/data" -cf "$ctx/prometheus-data.tar" prometheus
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ADD prometheus-data.tar /
USER 65534:65534
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
build prom/prometheus:v2.42.0 "$ctx"

# --- persia-metrics/node:local: this machine's node + the built CLI + production dependencies only ---
if [ ! -f "$ROOT/dist/src/cli/main.js" ]; then
  echo "build-images: $ROOT/dist/src/cli/main.js missing; run npm run build first" >&2
  exit 2
fi
ctx=$WORK/node
NODE=$(command -v node)
mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/app/node_modules" "$ctx/rootfs/tmp"
copy_libs "$ctx/rootfs" "$NODE"
cp "$NODE" "$ctx/rootfs/usr/bin/node"
cp "$ROOT/package.json" "$ctx/rootfs/app/"
cp -r "$ROOT/dist" "$ctx/rootfs/app/dist"
# Production dependency tree only (dev tools would triple the image): npm lists their directories.
(cd "$ROOT" && npm ls --omit=dev --all --parseable 2>/dev/null) | while read -r dir; do
  case "$dir" in
    "$ROOT") ;;
    "$ROOT"/node_modules/*)
      rel=${dir#"$ROOT"/}
      mkdir -p "$ctx/rootfs/app/$(dirname "$rel")"
      [ -e "$ctx/rootfs/app/$rel" ] || cp -r "$dir" "$ctx/rootfs/app/$rel"
      ;;
  esac
done
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
WORKDIR /app
ENV NODE_ENV=production
ENTRYPOINT ["/usr/bin/node", "/app/dist/src/cli/main.js"]
CMD ["--help"]
DOCKERFILE
build persia-metrics/node:local "$ctx"
