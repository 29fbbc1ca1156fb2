#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit, integration
# against a real php-fpm, UI offscreen, browser end to end, PHP client, package).
# Ends with CTest's summary line. With CI set, a missing dependency fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${WSGATE_BUILD_DIR:-build}

bash scripts/setup.sh
# Tests on explicitly: a build directory first configured by run-demo.sh has them off.
# The generator only for a new directory (CMake refuses to change it in an existing one).
generator=()
[[ -f "$build/CMakeCache.txt" ]] || generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWSGATE_BUILD_TESTS=ON -DWSGATE_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" -j2
# The .deb: build, install, smoke test through the installed wsgated (needs root or sudo).
if [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; then
    bash scripts/package-test.sh
elif [[ -n "${CI:-}" ]]; then
    echo "test: the package test needs root or sudo" >&2
    exit 1
else
    echo "test: skipping the package test (needs root or sudo)"
fi
# --no-tests=error: a build without tests fails here instead of passing with none.
ctest --test-dir "$build" -j2 --output-on-failure --timeout 600 --no-tests=error
