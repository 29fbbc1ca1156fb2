#!/usr/bin/env bash
# Package test: build the .deb, install it, check what it installed, push one WebSocket
# message through the INSTALLED wsgated to a private php-fpm, stop everything, remove it.
#
#   bash scripts/package-test.sh        (as root, or with sudo available; Debian 12)
#
# Environment:
#   WSGATE_PACKAGE_BUILD_DIR  build directory (default: <repo>/build-package)
#   JOBS                      parallel build jobs (default: nproc)
#   KEEP_PACKAGE=1            leave the package installed at the end
# Needs: cmake, Qt 6 dev packages, dpkg-dev, php-fpm (php8.2-fpm), node >= 20 (its WebSocket
# client behind --experimental-websocket), desktop-file-utils, appstream; lintian optional.
# Ends with "package test: N passed, M failed"; exits non-zero on the first failure.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${WSGATE_PACKAGE_BUILD_DIR:-$ROOT/build-package}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PACKAGE=wsgate

passed=0
failed=0
TMP=""
FPM_PID=""
GW_PID=""
INSTALLED_BY_US=0

summary() { echo "package test: $passed passed, $failed failed"; }
pass() { echo "ok   - $*"; passed=$((passed + 1)); }
note() { echo "note - $*"; }
fail() {
    echo "FAIL - $*" >&2
    failed=$((failed + 1))
    cleanup
    summary
    exit 1
}
step() { echo; echo "== $*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "package test: needs root (dpkg -i) or sudo" >&2; exit 1
    fi
fi

stop_pid() { # pid signal timeout-seconds: send the signal, wait; returns the exit status or 124
    local pid=$1 sig=$2 t=$3 i
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < t * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            return $?
        fi
        sleep 0.1
    done
    return 124
}

cleanup() {
    if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
        stop_pid "$GW_PID" TERM 10 || kill -KILL "$GW_PID" 2>/dev/null
    fi
    GW_PID=""
    if [ -n "$FPM_PID" ] && kill -0 "$FPM_PID" 2>/dev/null; then
        stop_pid "$FPM_PID" QUIT 10 || kill -KILL "$FPM_PID" 2>/dev/null
    fi
    FPM_PID=""
    if [ "$INSTALLED_BY_US" = 1 ] && [ "${KEEP_PACKAGE:-0}" != 1 ]; then
        $SUDO dpkg -P "$PACKAGE" >/dev/null 2>&1 || true
        INSTALLED_BY_US=0
    fi
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then rm -rf "$TMP"; fi
    TMP=""
}
trap 'cleanup' EXIT
trap 'echo "interrupted" >&2; cleanup; exit 130' INT TERM

need() { command -v "$1" >/dev/null 2>&1 || fail "missing tool: $1 ($2)"; }
need cmake "apt-get install cmake"
need cpack "apt-get install cmake"
need dpkg-shlibdeps "apt-get install dpkg-dev"
need desktop-file-validate "apt-get install desktop-file-utils"
need appstreamcli "apt-get install appstream"
need node "Node.js >= 20"
need python3 "apt-get install python3"
FPM_BIN=$(command -v php-fpm 2>/dev/null || command -v php-fpm8.2 2>/dev/null ||
    ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1)
[ -n "$FPM_BIN" ] || fail "missing tool: php-fpm (apt-get install php8.2-fpm)"

# ---------------------------------------------------------------------------------------
step "configure + build (Release, $BUILD)"
mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DWSGATE_BUILD_TESTS=OFF >"$BUILD/configure.log" 2>&1 ||
    { tail -n 40 "$BUILD/configure.log"; fail "cmake configure (log: $BUILD/configure.log)"; }
cmake --build "$BUILD" -j "$JOBS" || fail "build"
pass "Release build"

VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
[ -n "$VERSION" ] || fail "no CMAKE_PROJECT_VERSION in $BUILD/CMakeCache.txt"
HAS_GUI=0
[ -x "$BUILD/app/wsgate" ] && HAS_GUI=1

step "cpack -G DEB"
rm -f "$BUILD"/${PACKAGE}_*.deb
(cd "$BUILD" && cpack -G DEB) || fail "cpack -G DEB"
DEB=$(ls -t "$BUILD"/${PACKAGE}_"$VERSION"-*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] && [ -f "$DEB" ] || fail "no ${PACKAGE}_${VERSION}-*.deb in $BUILD"
pass "built $(basename "$DEB")"

step "package metadata and contents"
dpkg-deb -f "$DEB" | sed 's/^/   /'
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
grep -q libqt6core6 <<<"$DEPENDS" && grep -q libqt6websockets6 <<<"$DEPENDS" ||
    fail "Depends lacks the Qt libraries (shlibdeps): $DEPENDS"
pass "Depends from shlibdeps: $DEPENDS"
[ "$(dpkg-deb -f "$DEB" Recommends)" = "php-fpm" ] || fail "Recommends is not php-fpm"
pass "Recommends: php-fpm"
grep -qx '/etc/wsgate/wsgated.json' <<<"$(dpkg-deb -I "$DEB" conffiles)" ||
    fail "/etc/wsgate/wsgated.json is not a conffile"
pass "conffile /etc/wsgate/wsgated.json"
CONTENTS=$(dpkg-deb -c "$DEB" | awk '{print $NF}')
expected="./usr/bin/wsgated ./etc/wsgate/wsgated.json ./lib/systemd/system/wsgated.service
./usr/share/man/man8/wsgated.8.gz ./usr/share/doc/wsgate/copyright"
if [ "$HAS_GUI" = 1 ]; then
    expected="$expected ./usr/bin/wsgate ./usr/share/man/man1/wsgate.1.gz
./usr/share/applications/io.github.wsgate.desktop ./usr/share/metainfo/io.github.wsgate.metainfo.xml
./usr/share/icons/hicolor/scalable/apps/io.github.wsgate.svg
./usr/share/icons/hicolor/48x48/apps/io.github.wsgate.png"
fi
for f in $expected; do
    grep -qx "$f" <<<"$CONTENTS" || fail "package lacks $f"
done
pass "package holds $(echo "$expected" | wc -w) expected files ($(echo "$CONTENTS" | grep -vc '/$') files in all)"

# ---------------------------------------------------------------------------------------
step "install (dpkg -i, apt-get -f install)"
INSTALLED_BY_US=1
if ! $SUDO dpkg -i "$DEB"; then
    echo "dpkg -i left dependencies missing; running apt-get -f install"
    $SUDO apt-get -f install -y --no-install-recommends || fail "apt-get -f install"
fi
[ "$(dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null)" = "install ok installed" ] ||
    fail "$PACKAGE is not installed after dpkg -i"
pass "installed $(dpkg-query -W -f='${Package} ${Version}' "$PACKAGE")"

# The config may hold secrets: 0640 root:wsgate (the unit's dynamic user has the group). The
# push token: generated by postinst, 0600 root, kept across reinstalls and upgrades.
getent group wsgate >/dev/null || fail "postinst did not create the system group wsgate"
MODE=$(stat -c '%a %U:%G' /etc/wsgate/wsgated.json)
[ "$MODE" = "640 root:wsgate" ] || fail "/etc/wsgate/wsgated.json is $MODE, expected 640 root:wsgate"
pass "/etc/wsgate/wsgated.json: $MODE"
MODE=$($SUDO stat -c '%a %U:%G' /etc/wsgate/push-token 2>/dev/null)
[ "$MODE" = "600 root:root" ] || fail "/etc/wsgate/push-token is \"$MODE\", expected 600 root:root"
TOKEN=$($SUDO cat /etc/wsgate/push-token)
grep -Eqx '[0-9a-f]{64}' <<<"$TOKEN" || fail "/etc/wsgate/push-token holds no 64-digit hex token"
pass "/etc/wsgate/push-token: $MODE, 256 random bits"
if command -v setpriv >/dev/null 2>&1; then
    # What the unit's dynamic user meets: the group wsgate reads the config, others cannot.
    $SUDO setpriv --reuid=nobody --regid=nogroup --groups=wsgate cat /etc/wsgate/wsgated.json >/dev/null ||
        fail "a user in the group wsgate cannot read /etc/wsgate/wsgated.json"
    if $SUDO setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/wsgate/wsgated.json >/dev/null 2>&1; then
        fail "/etc/wsgate/wsgated.json is readable by a user outside the group wsgate"
    fi
    if $SUDO setpriv --reuid=nobody --regid=nogroup --groups=wsgate cat /etc/wsgate/push-token >/dev/null 2>&1; then
        fail "/etc/wsgate/push-token is readable by a user other than root"
    fi
    pass "as nobody: the config readable with the group wsgate only, the token not at all"
else
    note "setpriv not found: config and token not read as another user"
fi
$SUDO dpkg -i "$DEB" >/dev/null || fail "reinstall (dpkg -i again)"
[ "$($SUDO cat /etc/wsgate/push-token)" = "$TOKEN" ] || fail "reinstalling replaced the push token"
MODE=$(stat -c '%a %U:%G' /etc/wsgate/wsgated.json)
[ "$MODE" = "640 root:wsgate" ] || fail "after a reinstall /etc/wsgate/wsgated.json is $MODE"
pass "reinstall keeps the token and the config's 640 root:wsgate"

OUT=$(/usr/bin/wsgated --version 2>&1) || fail "/usr/bin/wsgated --version failed: $OUT"
echo "$OUT"
case "$OUT" in "wsgated $VERSION"*) ;; *) fail "--version says \"$OUT\", expected wsgated $VERSION" ;; esac
pass "installed wsgated --version: $OUT"
grep -q -- '--fastcgi' <<<"$(/usr/bin/wsgated --help)" || fail "/usr/bin/wsgated --help"
pass "installed wsgated --help"

# Debian's machine-readable copyright file, naming the license the LICENSE file has.
COPYRIGHT=/usr/share/doc/$PACKAGE/copyright
[ -f "$COPYRIGHT" ] || fail "$COPYRIGHT is not installed"
head -n 1 "$COPYRIGHT" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
    fail "$COPYRIGHT is not in the machine-readable format (first line: $(head -n 1 "$COPYRIGHT"))"
grep -qx 'License: Apache-2.0' "$COPYRIGHT" || fail "$COPYRIGHT does not say License: Apache-2.0"
grep -q 'Apache License' "$ROOT/LICENSE" && grep -q 'Version 2.0' "$ROOT/LICENSE" ||
    fail "LICENSE is not the Apache License 2.0 the copyright file names"
pass "installed $COPYRIGHT (machine-readable, License: Apache-2.0, as LICENSE)"

if [ "$HAS_GUI" = 1 ]; then
    DESKTOP=/usr/share/applications/io.github.wsgate.desktop
    METAINFO=/usr/share/metainfo/io.github.wsgate.metainfo.xml
    where="installed"
else
    # No console in this build (app/wsgate.cpp missing): check the files it would install.
    note "the package has no wsgate console: validating the desktop/metainfo files from the source"
    DESKTOP=$ROOT/packaging/linux/io.github.wsgate.desktop
    METAINFO=$(mktemp --suffix=.metainfo.xml)
    sed -e "s/@PROJECT_VERSION@/$VERSION/" -e "s/@WSGATE_RELEASE_DATE@/$(date -u +%F)/" \
        -e "s#@WSGATE_HOMEPAGE@#https://github.com/wsgate/wsgate#g" \
        "$ROOT/packaging/linux/io.github.wsgate.metainfo.xml" >"$METAINFO"
    where="source (no wsgate GUI in this package)"
fi
desktop-file-validate "$DESKTOP" || fail "desktop-file-validate $DESKTOP"
pass "desktop-file-validate ($where)"
appstreamcli validate --no-net "$METAINFO" || fail "appstreamcli validate --no-net $METAINFO"
pass "appstreamcli validate --no-net ($where)"
grep -q '<project_license>Apache-2.0</project_license>' "$METAINFO" ||
    fail "$METAINFO has no <project_license>Apache-2.0</project_license>"
pass "metainfo project_license Apache-2.0"
[ "$HAS_GUI" = 1 ] || rm -f "$METAINFO"

if command -v systemd-analyze >/dev/null 2>&1; then
    OUT=$(systemd-analyze verify /lib/systemd/system/wsgated.service 2>&1)
    [ -z "$OUT" ] || { echo "$OUT"; fail "systemd-analyze verify wsgated.service"; }
    pass "systemd-analyze verify wsgated.service"
else
    note "systemd-analyze not found: unit not verified"
fi
UNIT_EXEC='/usr/bin/wsgated --config /etc/wsgate/wsgated.json --push-token-file ${CREDENTIALS_DIRECTORY}/push-token'
grep -qxF "ExecStart=$UNIT_EXEC" /lib/systemd/system/wsgated.service || fail "unit's ExecStart"
grep -qx 'LoadCredential=push-token:/etc/wsgate/push-token' /lib/systemd/system/wsgated.service ||
    fail "unit's LoadCredential"
grep -qx 'SupplementaryGroups=www-data wsgate' /lib/systemd/system/wsgated.service ||
    fail "unit's SupplementaryGroups"
pass "unit: LoadCredential=push-token, --push-token-file from \$CREDENTIALS_DIRECTORY, groups www-data wsgate"
# 0640 root:wsgate: only root (or the group) reads it.
$SUDO /usr/bin/wsgated --config /etc/wsgate/wsgated.json --version >/dev/null ||
    fail "installed /etc/wsgate/wsgated.json"

if command -v lintian >/dev/null 2>&1; then
    echo "-- lintian (informational, never fails the test):"
    lintian --tag-display-limit 0 "$DEB" 2>&1 | sed 's/^/   /' || true
else
    note "lintian not installed: skipped"
fi

# ---------------------------------------------------------------------------------------
step "smoke test: one message through the installed wsgated to a private php-fpm"
TMP=$(mktemp -d /tmp/wsgate-package-test.XXXXXX)
chmod 755 "$TMP"
cat >"$TMP/echo.php" <<'PHP'
<?php
// Echo handler: answers every WebSocket message with "echo:" and the message.
if (($_SERVER['WS_EVENT'] ?? '') === 'message') {
    echo 'echo:', file_get_contents('php://input');
}
PHP
cat >"$TMP/fpm.conf" <<EOF
[global]
pid = $TMP/fpm.pid
error_log = $TMP/fpm.log
daemonize = no

[package-test]
listen = $TMP/fpm.sock
pm = static
pm.max_children = 2
catch_workers_output = no
clear_env = yes
php_admin_value[display_errors] = Off
EOF
FPM_ARGS=(--nodaemonize --fpm-config "$TMP/fpm.conf")
[ "$(id -u)" -eq 0 ] && FPM_ARGS+=(--allow-to-run-as-root)
"$FPM_BIN" "${FPM_ARGS[@]}" >"$TMP/fpm.out" 2>&1 &
FPM_PID=$!
for ((i = 0; i < 100; i++)); do
    [ -S "$TMP/fpm.sock" ] && break
    kill -0 "$FPM_PID" 2>/dev/null || break
    sleep 0.1
done
[ -S "$TMP/fpm.sock" ] || { cat "$TMP/fpm.out" "$TMP/fpm.log" 2>/dev/null; fail "php-fpm did not start"; }
pass "private php-fpm on unix:$TMP/fpm.sock ($FPM_BIN)"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null; }

# The unit's own command line, with the credential as systemd would hand it over: a private
# directory holding a copy of /etc/wsgate/push-token (no systemd as PID 1 here).
CRED="$TMP/credentials"
mkdir -m 0700 "$CRED"
$SUDO cat /etc/wsgate/push-token >"$CRED/push-token"
chmod 0400 "$CRED/push-token"
read -ra GW_CMD <<<"${UNIT_EXEC//'${CREDENTIALS_DIRECTORY}'/$CRED}"
# Not root: sudo reads the root-only config (it relays SIGTERM to wsgated).
[ -z "$SUDO" ] || GW_CMD=("$SUDO" "${GW_CMD[@]}")

started=0
for attempt in 1 2 3; do
    WS_PORT=$(free_port)
    PUSH_PORT=$(free_port)
    [ "$WS_PORT" != "$PUSH_PORT" ] || continue
    "${GW_CMD[@]}" \
        --listen "127.0.0.1:$WS_PORT" --push-listen "127.0.0.1:$PUSH_PORT" \
        --fastcgi "unix:$TMP/fpm.sock" --script "$TMP/echo.php" --docroot "$TMP" \
        >"$TMP/wsgated.log" 2>&1 &
    GW_PID=$!
    for ((i = 0; i < 100; i++)); do
        if port_open "$WS_PORT"; then started=1; break; fi
        kill -0 "$GW_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ "$started" = 1 ] && break
    cat "$TMP/wsgated.log"
    stop_pid "$GW_PID" KILL 5 || true
    GW_PID=""
    echo "wsgated did not start (attempt $attempt); retrying on other ports"
done
[ "$started" = 1 ] || fail "installed wsgated did not start listening"
pass "installed wsgated listening on ws://127.0.0.1:$WS_PORT/ws (push API :$PUSH_PORT)"

MESSAGE="hello from package-test $$ $RANDOM"
cat >"$TMP/client.mjs" <<'JS'
// One WebSocket message through the gateway, then a broadcast through the push API with the
// token (and one without, which must be refused); prints the echo and the broadcast.
// Node 20: --experimental-websocket.
const [url, message, pushUrl, token] = process.argv.slice(2);
const timer = setTimeout(() => { console.error('timeout waiting for the reply'); process.exit(3); }, 10000);
const health = await fetch(`${pushUrl}/health`);
if (health.status !== 200) { console.error(`GET /health: ${health.status}`); process.exit(4); }
const broadcast = (headers) => fetch(`${pushUrl}/broadcast`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ message: `broadcast:${message}` }),
});
const ws = new WebSocket(url);
const received = [];
ws.onopen = () => ws.send(message);
ws.onerror = (e) => { console.error('websocket error', e.message ?? ''); process.exit(2); };
ws.onmessage = async (e) => {
    received.push(String(e.data));
    if (received.length === 1) {
        const refused = await broadcast({});
        if (refused.status !== 401) { console.error(`tokenless POST /broadcast: ${refused.status}`); process.exit(5); }
        const sent = await broadcast({ Authorization: `Bearer ${token}` });
        if (sent.status !== 200) { console.error(`POST /broadcast: ${sent.status} ${await sent.text()}`); process.exit(6); }
        return;
    }
    console.log(received.join('\n'));
    clearTimeout(timer);
    ws.close(1000, 'done');
    setTimeout(() => process.exit(0), 200);
};
JS
REPLY=$(node --experimental-websocket --no-warnings "$TMP/client.mjs" \
    "ws://127.0.0.1:$WS_PORT/ws" "$MESSAGE" "http://127.0.0.1:$PUSH_PORT" "$TOKEN" 2>"$TMP/client.err")
rc=$?
if [ $rc -ne 0 ] || [ "$REPLY" != "echo:$MESSAGE"$'\n'"broadcast:$MESSAGE" ]; then
    echo "client exit $rc, reply: \"$REPLY\""; cat "$TMP/client.err"
    echo "-- wsgated log:"; cat "$TMP/wsgated.log"; echo "-- php-fpm log:"; cat "$TMP/fpm.log"
    fail "WebSocket echo through the installed wsgated"
fi
pass "push API /health 200; WebSocket echo; POST /broadcast 401 without the token, delivered with it: \"${REPLY//$'\n'/ | }\""

stop_pid "$GW_PID" TERM 15
rc=$?
GW_PID=""
[ $rc -eq 0 ] || { cat "$TMP/wsgated.log"; fail "wsgated exited $rc on SIGTERM (expected 0)"; }
pass "wsgated stopped on SIGTERM with exit status 0"
echo "-- wsgated log:"; sed 's/^/   /' "$TMP/wsgated.log"
stop_pid "$FPM_PID" QUIT 10 || true
FPM_PID=""

# ---------------------------------------------------------------------------------------
step "remove (dpkg -r), then purge"
$SUDO dpkg -r "$PACKAGE" || fail "dpkg -r $PACKAGE"
[ ! -e /usr/bin/wsgated ] && [ ! -e /lib/systemd/system/wsgated.service ] ||
    fail "files left after dpkg -r"
[ -f /etc/wsgate/wsgated.json ] || fail "dpkg -r removed the conffile (it should keep it)"
pass "dpkg -r $PACKAGE (binaries gone, conffile kept)"
if [ "${KEEP_PACKAGE:-0}" != 1 ]; then
    $SUDO dpkg -P "$PACKAGE" || fail "dpkg -P $PACKAGE"
    [ ! -e /etc/wsgate ] || fail "/etc/wsgate left after purge"
    pass "dpkg -P $PACKAGE (conffile gone)"
else
    $SUDO dpkg -i "$DEB" >/dev/null || fail "reinstall for KEEP_PACKAGE=1"
    note "KEEP_PACKAGE=1: reinstalled $(basename "$DEB")"
fi
INSTALLED_BY_US=0

echo
summary
