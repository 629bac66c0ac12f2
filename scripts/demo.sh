#!/usr/bin/env bash
# The demo command of the README: a simulated cluster pushing to a real Pushgateway scraped by a real
# Prometheus, both started on free local ports. Extra arguments go to `persia-metrics demo` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
exec node dist/src/cli/main.js demo "$@"
