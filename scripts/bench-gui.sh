#!/usr/bin/env bash
# Gateway throughput with the desktop console open versus headless, at the same sustained load.
#
#   scripts/bench-gui.sh [PATH/TO/wsgate]      (default: build-bench/app/wsgate)
#
# Starts a private php-fpm (bench/echo.php), then runs bench/wsload (16 connections x 64 B,
# round trip) for BENCH_DURATION seconds (default 20) against
#   1. wsgated (headless), and
#   2. the GUI binary with the same flags, on the display in $DISPLAY, else under xvfb-run,
#      else QT_QPA_PLATFORM=offscreen,
# and prints msgs/s of both and the ratio (target: GUI within 10% of headless). The GUI's own
# event-loop stall can only be measured inside the GUI: if it prints lines containing
# "stall" on stderr (e.g. "max event-loop stall: 12 ms"), they are shown here. Extra GUI
# arguments (e.g. one that starts the gateway at launch) go in BENCH_GUI_ARGS.
# Skips with a message (exit 0) when the GUI binary does not exist yet.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
GUI=${1:-$BUILD/app/wsgate}
DUR=${BENCH_DURATION:-20}
CONNS=${BENCH_CONNECTIONS:-16}
SIZE=${BENCH_SIZE:-64}
POOL=${BENCH_POOL:-8}
FPM=${BENCH_FPM:-$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)}
WSGATED=${BENCH_WSGATED:-$BUILD/app/wsgated}
WSLOAD=$BUILD/bench/wsload

say() { printf '%s\n' "$*" >&2; }

if [[ ! -x $GUI ]]; then
    say "bench-gui: skipped: no GUI binary at $GUI (build it with -DWSGATE_BUILD_GUI=ON, or pass its path)"
    exit 0
fi
for b in "$WSGATED" "$WSLOAD"; do
    [[ -x $b ]] || { say "bench-gui: missing $b (run scripts/bench.sh once to build)"; exit 1; }
done

TMP=$(mktemp -d /tmp/wsgate-bench-gui.XXXXXX)
FPM_PID=
GW_PID=
cleanup() {
    [[ -n $GW_PID ]] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
    [[ -n $FPM_PID ]] && kill "$FPM_PID" 2>/dev/null && wait "$FPM_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SCRIPT=$TMP/echo.php
cp "$ROOT/bench/echo.php" "$SCRIPT"
SOCK=$TMP/fpm.sock
cat >"$TMP/fpm.conf" <<EOF
[global]
pid = $TMP/fpm.pid
error_log = $TMP/fpm.log
daemonize = no
log_level = warning

[bench]
listen = $SOCK
listen.backlog = 511
pm = static
pm.max_children = 32
catch_workers_output = no
clear_env = yes
php_admin_value[opcache.enable] = 1
EOF
ROOT_FLAG=()
((EUID == 0)) && ROOT_FLAG=(--allow-to-run-as-root)
"$FPM" --nodaemonize --fpm-config "$TMP/fpm.conf" "${ROOT_FLAG[@]}" 2>>"$TMP/fpm.log" &
FPM_PID=$!
for _ in $(seq 100); do
    [[ -S $SOCK ]] && break
    sleep 0.1
done
[[ -S $SOCK ]] || { say "php-fpm did not start"; cat "$TMP/fpm.log" >&2; exit 1; }

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    echo 18080
}
wait_port() {
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

run_one() { # label, command...
    local label=$1
    shift
    local port push
    port=$(free_port)
    push=$(free_port)
    "$@" --listen "127.0.0.1:$port" --push-listen "127.0.0.1:$push" --fastcgi "unix:$SOCK" \
        --script "$SCRIPT" --fastcgi-pool "$POOL" 2>"$TMP/$label.log" &
    GW_PID=$!
    if ! wait_port "$port"; then
        say "bench-gui: $label did not listen on $port within 30 s (does it need an argument"
        say "           to start the gateway at launch? set BENCH_GUI_ARGS). Its log:"
        tail -20 "$TMP/$label.log" >&2
        kill "$GW_PID" 2>/dev/null || true
        GW_PID=
        echo "RESULT rate=0 p50_us=0 p99_us=0"
        return
    fi
    sleep 1
    "$WSLOAD" --url "ws://127.0.0.1:$port/ws" --connections "$CONNS" --size "$SIZE" \
        --duration "$DUR" --warmup 2 | grep '^RESULT'
    kill "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

say "== headless: $WSGATED"
h=$(run_one headless "$WSGATED")
say "   $h"

read -r -a GUI_ARGS <<<"${BENCH_GUI_ARGS:-}"
GUI_CMD=("$GUI")
if [[ -z ${DISPLAY:-} ]]; then
    if command -v xvfb-run >/dev/null; then
        GUI_CMD=(xvfb-run -a -s "-screen 0 1600x1000x24" "$GUI")
    else
        export QT_QPA_PLATFORM=offscreen
    fi
fi
say "== GUI: ${GUI_CMD[*]} ${GUI_ARGS[*]}"
g=$(WSGATE_REPORT_STALLS=1 run_one gui "${GUI_CMD[@]}" "${GUI_ARGS[@]}")
say "   $g"

hr=$(field rate "$h")
gr=$(field rate "$g")
ratio=$(LC_ALL=C awk -v a="$gr" -v b="$hr" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
# The worst of the 5-second reports after the first, which covers the window's start-up.
stalls=$(grep -o 'max event-loop stall: [0-9]* ms' "$TMP/gui.log" 2>/dev/null |
    awk 'NR > 1 { if (m == "" || $4 > m) m = $4 } END { if (m != "") print "max " m " ms" }' || true)
cat <<EOF
## GUI open vs headless ($CONNS connections x $SIZE B, ${DUR} s, --fastcgi-pool $POOL)

| binary | msg/s | p50 µs | p99 µs |
|---|---:|---:|---:|
| wsgated (headless) | $(LC_ALL=C printf '%.0f' "$hr") | $(field p50_us "$h") | $(field p99_us "$h") |
| wsgate (GUI) | $(LC_ALL=C printf '%.0f' "$gr") | $(field p50_us "$g") | $(field p99_us "$g") |

GUI / headless: **$ratio** (target ≥ 0.90). GUI event-loop stall: ${stalls:-not reported by the GUI (target < 50 ms)}
EOF
