#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine: the real Prometheus and Pushgateway
# (Debian packages; nothing is started on install), docker-compose v1 to validate the compose files, and
# the npm dependencies from package-lock.json. Idempotent: skips apt when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# podman, runc and the dnsname plugin run the compose stack for real in test/e2e (see shared CONTAINERS.md);
# catatonit is what Podman builds its pods' pause image around (`podman kube play`, test/e2e/kubernetes-pods.test.ts);
# victoria-metrics is the long-term store that test/integration/long-term-store.test.ts remote-writes to;
# chromium is the real browser test/integration/view-browser.test.ts drives (playwright-core never downloads one);
# python3-prometheus-client serves the Python trainer that test/integration/agent-scrape.test.ts scrapes.
debian_packages=(prometheus prometheus-pushgateway docker-compose podman runc catatonit golang-github-containernetworking-plugin-dnsname openssl victoria-metrics chromium python3 python3-prometheus-client)
needed=()
for binary in prometheus promtool prometheus-pushgateway docker-compose podman runc catatonit openssl victoria-metrics chromium; do
  command -v "$binary" >/dev/null 2>&1 || needed+=("$binary")
done
# Debian's module is for Debian's python3 (/usr/bin/python3), whatever python3 comes first on PATH.
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || needed+=(python3-prometheus-client)
if [ ${#needed[@]} -gt 0 ]; then
  echo "install-deps: missing ${needed[*]}; installing Debian packages: ${debian_packages[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${debian_packages[@]}" >/dev/null
fi
# Debian's packages ship systemd units; where systemd runs they would take 9090/9091. Nothing here needs them.

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
