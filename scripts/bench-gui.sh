#!/usr/bin/env bash
# Gateway throughput with the desktop console open versus headless, at the same sustained load,
# and how long the console's event loop stalls meanwhile.
#
#   scripts/bench-gui.sh [PATH/TO/wsgate]      (default: the one it builds in build-bench-gui)
#
# Builds Release with the GUI in BENCH_BUILD_DIR (default build-bench-gui; BENCH_SKIP_BUILD=1
# skips that), starts a private php-fpm (bench/echo.php), then for each connection count in
# BENCH_CONNECTIONS (default "2 4 16": from a latency-bound load to saturated cores) runs bench/wsload
# (64 B round trips) for BENCH_DURATION seconds (default 20) against
#   1. wsgated (headless), and
#   2. the GUI binary with the same flags, on the display in $DISPLAY, else under xvfb-run,
#      else QT_QPA_PLATFORM=offscreen,
# and prints msgs/s of both and the ratio (target: GUI within 10% of headless). A third run of
# the GUI, at the same load, reads
#   - the console's longest event-loop stall (WSGATE_REPORT_STALLS=1 makes it print one every
#     5 s; target < 50 ms),
#   - the same for bench/loopstall, an empty event loop started alongside: what the scheduler
#     alone does to any program's timer on these cores;
# the second reads the CPU time of the console's GUI thread (from /proc),
# and at the end bench/gui/guitick: the GUI thread's CPU per 250 ms tick for 1,000 new traffic
# rows, measured offscreen without load (the deterministic part of the stall).
# Extra GUI arguments go in BENCH_GUI_ARGS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench-gui}
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    printf '== building Release with the GUI in %s\n' "$BUILD" >&2
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWSGATE_BUILD_GUI=ON \
        -DWSGATE_BUILD_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target wsgate wsgated wsload loopstall guitick >/dev/null
fi
GUI=${1:-$BUILD/app/wsgate}
DUR=${BENCH_DURATION:-20}
CONNECTION_COUNTS=${BENCH_CONNECTIONS:-"2 4 16"}
SIZE=${BENCH_SIZE:-64}
POOL=${BENCH_POOL:-8}
FPM=${BENCH_FPM:-$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)}
WSGATED=${BENCH_WSGATED:-$BUILD/app/wsgated}
WSLOAD=$BUILD/bench/wsload
LOOPSTALL=$BUILD/bench/loopstall
GUITICK=$BUILD/bench/gui/guitick

say() { printf '%s\n' "$*" >&2; }

if [[ ! -x $GUI ]]; then
    say "bench-gui: skipped: no GUI binary at $GUI (build it with -DWSGATE_BUILD_GUI=ON, or pass its path)"
    exit 0
fi
for b in "$WSGATED" "$WSLOAD" "$LOOPSTALL"; do
    [[ -x $b ]] || { say "bench-gui: missing $b"; exit 1; }
done

# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"
bench_start_fpm wsgate-bench-gui 32

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((10000 + RANDOM % 20000)) # below the ephemeral range the load tools use
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
    # The process that serves the port (under xvfb-run, GW_PID is the wrapper's).
    local pid cpu0 cpu1 loop_pid=
    pid=$(pgrep -n -f -- "--listen 127.0.0.1:$port" || echo "$GW_PID")
    cpu0=$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat" 2>/dev/null || echo 0)
    if [[ $label == probe ]]; then
        "$LOOPSTALL" $((DUR + 2)) >/dev/null 2>"$TMP/floor.log" &
        loop_pid=$!
    fi
    "$WSLOAD" --url "ws://127.0.0.1:$port/ws" --connections "$CONNS" --size "$SIZE" \
        --duration "$DUR" --warmup 2 | grep '^RESULT' | tr -d '\n'
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat" 2>/dev/null || echo 0)
    # Clock ticks of 10 ms (USER_HZ 100) over the load's DUR + 2 s.
    echo " main_thread_cpu_ms_per_s=$(((cpu1 - cpu0) * 10 / (DUR + 2)))"
    [[ -z ${loop_pid:-} ]] || wait "$loop_pid" 2>/dev/null || true
    kill "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

read -r -a GUI_ARGS <<<"${BENCH_GUI_ARGS:-}"
GUI_CMD=("$GUI")
if [[ -z ${DISPLAY:-} ]]; then
    if command -v xvfb-run >/dev/null; then
        GUI_CMD=(xvfb-run -a -s "-screen 0 1600x1000x24" "$GUI")
    else
        export QT_QPA_PLATFORM=offscreen
    fi
fi
# The worst of the 5-second reports after the first, which covers the window's start-up.
worst_stall() {
    grep -o 'max event-loop stall: [0-9]* ms' "$1" 2>/dev/null |
        awk 'NR > 1 { if (m == "" || $4 > m) m = $4 } END { if (m != "") print m }' || true
}

rows=()
for CONNS in $CONNECTION_COUNTS; do
    say "== $CONNS connections, headless: $WSGATED"
    h=$(run_one headless "$WSGATED")
    say "   $h"
    say "== $CONNS connections, GUI: ${GUI_CMD[*]} ${GUI_ARGS[*]}"
    g=$(run_one gui "${GUI_CMD[@]}" "${GUI_ARGS[@]}")
    say "   $g"
    # The stall probes (a 20 ms timer in the console, an empty loop beside it) wake up 100
    # times a second and cost a latency-bound load a few per cent: a run of their own.
    say "== $CONNS connections, GUI with the stall probes"
    p=$(WSGATE_REPORT_STALLS=1 run_one probe "${GUI_CMD[@]}" "${GUI_ARGS[@]}")
    say "   $p"
    hr=$(field rate "$h")
    gr=$(field rate "$g")
    ratio=$(LC_ALL=C awk -v a="$gr" -v b="$hr" \
        'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    stall=$(worst_stall "$TMP/probe.log")
    floor=$(worst_stall "$TMP/floor.log")
    rows+=("| $CONNS | $(LC_ALL=C printf '%.0f' "$hr") | $(LC_ALL=C printf '%.0f' "$gr") | **$ratio** | $(field p99_us "$h") / $(field p99_us "$g") | ${stall:-?} | ${floor:-?} | $(field main_thread_cpu_ms_per_s "$g") |")
done
tick=
if [[ -x $GUITICK ]]; then
    tick=$("$GUITICK" 2>/dev/null | grep '^RESULT' || true)
fi
cat <<EOF
## Console open vs headless ($SIZE B round trips, ${DUR} s, --fastcgi-pool $POOL, $(nproc) cores)

| connections | headless msg/s | GUI msg/s | GUI / headless (≥ 0.90) | p99 µs headless / GUI | console stall ms (< 50) | empty loop stall ms | GUI thread CPU ms/s |
|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
printf '%s\n' "${rows[@]}"
cat <<EOF

Stall: the longest time the console's event loop could not run its 20 ms timer (worst 5-s
report after the first); empty loop: bench/loopstall, an empty event loop run beside it, which
is what the scheduler alone does to any program on these cores.
EOF
if [[ -n $tick ]]; then
    cat <<EOF

GUI thread work per 250 ms tick, offscreen and unloaded (bench/gui/guitick, 1,000 new rows per
tick, median ms of CPU): append $(field append_ms "$tick"), sample $(field sample_ms "$tick"), paint $(field paint_ms "$tick"), total $(field total_ms "$tick") (max $(field total_max_ms "$tick")).
EOF
fi
