#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts the console with the demo
# (its own managed PHP-FPM, the example chat handler, a test page on http://127.0.0.1:8080/).
# Without a display it runs the headless daemon instead. Extra arguments go to the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${WSGATE_BUILD_DIR:-build}

bash scripts/setup.sh --runtime-only
# A new build directory is configured without tests (fewer packages, a quicker configure);
# an existing one keeps its settings, so a test build stays one (scripts/test.sh turns tests
# on again in any case) and nothing is rebuilt for a changed option.
if [[ -f "$build/CMakeCache.txt" ]]; then
    cmake -S . -B "$build" >/dev/null
else
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGATE_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j2 --target wsgated $( [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]] && echo wsgate )
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -x "$build/app/wsgate" ]]; then
    exec "$build/app/wsgate" --demo "$@"
fi
echo "no display: starting the headless daemon (wsgated --demo); Ctrl+C stops it"
exec "$build/app/wsgated" --demo "$@"
