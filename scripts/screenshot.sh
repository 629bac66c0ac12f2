#!/usr/bin/env bash
# Regenerates docs/view.png, the README's picture of `persia-metrics view`: runs the demo job (real
# Pushgateway and Prometheus, simulated nodes) for about two minutes and photographs its page in Debian's
# chromium (installed by scripts/install-deps.sh; nothing is downloaded). Optional argument: output file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
exec npx tsx test/screenshot/view-screenshot.ts "$@"
