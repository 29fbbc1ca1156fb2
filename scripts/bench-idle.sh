#!/usr/bin/env bash
# Holding connections is the job: what idle connections cost wsgated, next to a bare
# QWebSocketServer echo server (bench/bareqtecho: Qt's stock dispatcher, nothing else) measured
# in the same run.
#
#   scripts/bench-idle.sh              (about 3 minutes after the build)
#
# Builds Release (wsgated, bareqtecho, wsload) in BENCH_BUILD_DIR (default build-bench), starts
# a private php-fpm (bench/echo.php, 32 workers), then
#   1. for N in IDLE_HOLD ("0 3000 9000") and each server (a fresh one per cell): wsload --hold N
#      opens N idle connections and keeps them (answering pings), then runs the usual round trip
#      (16 connections, 64 B, BENCH_DURATION = 5 s after 1 s warm-up): msgs/s, the ratio to the
#      same server's N = 0 figure (target for wsgated: >= 0.9x at every N), and the server's CPU
#      microseconds per message;
#   2. IDLE_CONNECTIONS (10000) idle connections on each server: RSS per connection (target:
#      <= 16 KiB) and the server's CPU over IDLE_SECONDS (15) s of idleness (target: none
#      measurable; wsgated pings idle clients every --ping-interval, 30 s by default:
#      IDLE_GW_ARGS adds flags);
#   3. with IDLE_HEAPTRACK=1, wsgated under heaptrack with IDLE_HEAPTRACK_N (2000) idle
#      connections: the allocation sites still holding memory, per connection.
# Each process holds N + 16 descriptors (the soft limit is raised to the hard one). Prints
# Markdown; the report also lands in bench/results/idle.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"

HOLD=${IDLE_HOLD-"0 3000 9000"} # IDLE_HOLD= (empty): the idle part alone
IDLE=${IDLE_CONNECTIONS:-10000}
IDLE_SECS=${IDLE_SECONDS:-15}
DUR=${BENCH_DURATION:-5}
WARM=${BENCH_WARMUP:-1}
GW_ARGS=${IDLE_GW_ARGS:-}
OUT=$ROOT/bench/results/idle.md

bench_build wsgated bareqtecho wsload
limit=$(bench_raise_fd_limit)
for n in $HOLD $IDLE; do
    if ((n + 200 > limit)); then
        say "open-files limit $limit is below $n connections + 200"
        exit 1
    fi
done
bench_start_fpm wsgate-bench-idle 32

# start_server wsgated|bare: sets SRV_PID and SRV_URL.
start_server() {
    if [[ $1 == wsgated ]]; then
        # shellcheck disable=SC2086
        bench_start_wsgated GW --fastcgi-pool 8 --max-connections $((IDLE + 1000)) $GW_ARGS
        SRV_PID=$GW_PID
        SRV_URL="ws://127.0.0.1:$GW_PORT/ws"
    else
        "$TOOLS/bareqtecho" >"$TMP/bare.out" 2>&1 &
        SRV_PID=$!
        BENCH_PIDS+=("$SRV_PID")
        local port=
        for _ in $(seq 100); do
            port=$(sed -n 's#^listening on ws://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$TMP/bare.out")
            [[ -n $port ]] && break
            sleep 0.1
        done
        [[ -n $port ]] || { say "bareqtecho did not start"; cat "$TMP/bare.out" >&2; exit 1; }
        SRV_URL="ws://127.0.0.1:$port/"
    fi
}

declare -A RATE CPU BASE
{
    echo "## Holding connections"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "$(nproc) cores, load average at the start $(cut -d' ' -f1 /proc/loadavg). Round trips: 16" \
        "connections, 64 B, ${DUR} s after ${WARM} s warm-up, with N idle connections held open" \
        "beside them; wsgated goes through PHP-FPM (32 workers, --fastcgi-pool 8), bareqtecho" \
        "echoes in-process (a floor, not a like-for-like figure): compare each server with itself."
    echo
    echo "| idle connections held | wsgated msg/s | vs N=0 | target | wsgated CPU µs/msg | bare Qt msg/s | vs N=0 | bare Qt CPU µs/msg |"
    echo "|---:|---:|---:|---|---:|---:|---:|---:|"
} >"$TMP/report.md"

for n in $HOLD; do
    for server in wsgated bare; do
        start_server "$server"
        r=$("$TOOLS/wsload" --url "$SRV_URL" --connections 16 --size 64 --duration "$DUR" \
            --warmup "$WARM" --hold "$n" --pid "$SRV_PID" | grep '^RESULT')
        say "   $server N=$n: $r"
        RATE[$server,$n]=$(field rate "$r")
        CPU[$server,$n]=$(field gw_us_per_msg "$r")
        [[ -n ${BASE[$server]:-} ]] || BASE[$server]=${RATE[$server,$n]}
        if (($(field held_closed "$r") > 0 || $(field errors "$r") > 0)); then
            say "   warning: $(field held_closed "$r") held connections closed, $(field errors "$r") errors"
        fi
        bench_stop_pid "$SRV_PID"
    done
    q=$(ratio "${RATE[wsgated,$n]}" "${BASE[wsgated]}")
    v="≥ 0.9× ✗"
    ge "$q" 0.9 && v="≥ 0.9× ✓"
    echo "| $(fmt0 "$n") | $(fmt0 "${RATE[wsgated,$n]}") | **$q×** | $v | $(fmt1 "${CPU[wsgated,$n]}") |" \
        "$(fmt0 "${RATE[bare,$n]}") | $(ratio "${RATE[bare,$n]}" "${BASE[bare]}")× | $(fmt1 "${CPU[bare,$n]}") |" \
        >>"$TMP/report.md"
done

{
    echo
    echo "## $(fmt0 "$IDLE") idle connections"
    echo
    echo "| server | connections open | RSS before | after | per connection | target | CPU while idle ($IDLE_SECS s) | target | on CPU, exact | wake-ups |"
    echo "|---|---:|---:|---:|---:|---|---:|---|---:|---:|"
} >>"$TMP/report.md"
for server in wsgated bare; do
    start_server "$server"
    sleep 1
    i=$("$TOOLS/wsload" --url "$SRV_URL" --idle "$IDLE" --pid "$SRV_PID" --idle-seconds "$IDLE_SECS" \
        --settle 2 | grep '^RESULT')
    say "   $server idle: $i"
    kib=$(field kib_per_conn "$i")
    v1="≤ 16 KiB ✗"
    ge 16 "$kib" && v1="≤ 16 KiB ✓"
    ticks=$(field idle_cpu_ticks "$i")
    v2="none ✗"
    ((ticks == 0)) && v2="none ✓"
    name=wsgated
    [[ $server == bare ]] && name="bare QWebSocketServer"
    echo "| $name | $(fmt0 "$(field still_open "$i")") | $(fmt1 "$(LC_ALL=C awk -v k="$(field rss_before_kib "$i")" 'BEGIN { print k / 1024 }')") MiB |" \
        "$(fmt1 "$(LC_ALL=C awk -v k="$(field rss_after_kib "$i")" 'BEGIN { print k / 1024 }')") MiB |" \
        "**$(fmt1 "$kib") KiB** | $v1 | $(fmt1 "$(field idle_cpu_pct "$i")") % ($ticks ticks) | $v2 |" \
        "$(fmt1 "$(field idle_cpu_ms "$i")") ms | $(fmt0 "$(field idle_wakeups "$i")") |" \
        >>"$TMP/report.md"
    bench_stop_pid "$SRV_PID"
done
{
    echo
    echo "CPU while idle is the server's utime + stime over the window, in clock ticks of" \
        "$((1000 / $(getconf CLK_TCK))) ms (a process that wakes at a tick is charged the whole" \
        "tick); \"on CPU, exact\" is the scheduler's own sum (/proc/PID/task/*/schedstat) and" \
        "wake-ups its context switches over the same window; RSS per connection = (RSS after −" \
        "before) / connections."
} >>"$TMP/report.md"

if [[ ${IDLE_HEAPTRACK:-0} == 1 ]] && command -v heaptrack >/dev/null; then
    hn=${IDLE_HEAPTRACK_N:-2000}
    say "== heaptrack: $hn idle connections"
    port=$(free_port)
    heaptrack -o "$TMP/heaptrack.wsgated" "$WSGATED" --listen "127.0.0.1:$port" --push-listen off \
        --fastcgi "unix:$SOCK" --script "$SCRIPT" --max-connections $((hn + 100)) \
        >"$TMP/heaptrack.out" 2>&1 &
    HT_PID=$!
    BENCH_PIDS+=("$HT_PID")
    wait_port "$port" 600
    gw=$(pgrep -P "$HT_PID" -f wsgated | head -1 || true)
    "$TOOLS/wsload" --url "ws://127.0.0.1:$port/ws" --idle "$hn" --pid "${gw:-0}" --idle-seconds 1 \
        --settle 1 >"$TMP/heaptrack.load" &
    LOAD=$!
    # Stop wsgated while the connections are still open: heaptrack reports what is held then.
    sleep $((hn / 1000 + 4))
    [[ -n $gw ]] && kill "$gw" 2>/dev/null
    wait "$LOAD" 2>/dev/null || true
    wait "$HT_PID" 2>/dev/null || true
    {
        echo
        echo "## heaptrack: memory held with $(fmt0 "$hn") idle connections (wsgated)"
        echo
        echo '```'
        heaptrack_print -f "$TMP"/heaptrack.wsgated.* --print-leaks 1 --print-peaks 0 \
            --print-allocators 0 --print-temporary 0 --print-histogram 0 2>/dev/null |
            sed -n '/MEMORY LEAKS/,$p' | head -120
        echo '```'
    } >>"$TMP/report.md"
fi

mkdir -p "$(dirname "$OUT")"
cp "$TMP/report.md" "$OUT"
cat "$TMP/report.md"
