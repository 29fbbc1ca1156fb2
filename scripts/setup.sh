#!/usr/bin/env bash
# Installs what wsgate needs to build, run and test on Debian 12 / Ubuntu, only what is missing.
# Usage: scripts/setup.sh [--runtime-only]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    build-essential cmake ninja-build pkg-config git
    qt6-base-dev qt6-websockets-dev libqt6svg6 libgl-dev libhttp-parser-dev qtkeychain-qt6-dev
    libhiredis-dev
    php8.2-fpm php8.2-cli
)
if [[ "${1:-}" != "--runtime-only" ]]; then
    packages+=(
        chromium xvfb xauth imagemagick
        dpkg-dev file desktop-file-utils appstream librsvg2-bin
        clang-14 libclang-rt-14-dev
        php8.2-xdebug phpunit
        redis-server
    )
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian enables Xdebug for every PHP it installs for (conf.d/20-xdebug.ini, mode develop),
    # so the test fixtures' and the benchmarks' php-fpm would all run with it. Only wsgate's
    # managed PHP wants it, and loads it itself (trigger mode; tst_managedphpxdebug): when it
    # is installed here, it is switched off again for everyone else. An Xdebug that was already
    # there is left as its owner set it up.
    if [[ " ${missing[*]} " == *" php8.2-xdebug "* ]]; then
        echo "setup: php8.2-xdebug installed; disabling it for php-fpm and php-cli (phpdismod)"
        $sudo phpdismod -v 8.2 -s ALL xdebug
    fi
fi

# Browser-test tooling (playwright-core drives Debian's chromium; it never downloads a browser).
if [[ "${1:-}" != "--runtime-only" && -f tests/e2e/package-lock.json ]]; then
    if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
        echo "setup: npm ci in tests/e2e"
        npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
    fi
fi
echo "setup: ok"
