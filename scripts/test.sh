#!/usr/bin/env bash
# The test command of the README: install what the tests need, lint (eslint + prettier --check), type-check
# src, bench and tests, then run every test (unit, integration against the real prometheus-pushgateway and
# prometheus binaries, deployment assets).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run lint
npm run typecheck
npm test
