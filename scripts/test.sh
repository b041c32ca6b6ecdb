#!/usr/bin/env bash
# Install dependencies, build, and run every test: unit and end-to-end tests (CTest),
# the rule linter in strict mode, and the rule regression over corpus/.
# Usage: scripts/test.sh [PRESET]   (default: dev; also release, debug, sanitize)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
scripts/install-deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
bin=build/$preset/fraudscan
"$bin" lint --strict --rules rules
"$bin" test --rules rules --baseline corpus/baseline.json --junit "build/$preset/rule-tests.xml" corpus/
