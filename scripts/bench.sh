#!/usr/bin/env bash
# One-command benchmark of wsgated against raw PHP-FPM, measured in the same run.
#
#   scripts/bench.sh
#
# Builds Release into build-bench/, starts a private php-fpm (config in a temp dir, handler
# bench/echo.php) and wsgated, then measures:
#   - raw FastCGI (bench/fcgiload) vs through the gateway (bench/wsload), 1 and 16 connections
#     x 64 B and 16 KiB messages, and 100 KiB at 4 connections, round trip, one message in
#     flight per connection;
#   - 64 B at 16 and 64 connections with few PHP workers (BENCH_FEW_WORKERS = 4,
#     --fastcgi-pool BENCH_FEW_POOL = 4) and with many (BENCH_FPM_CHILDREN = 32,
#     --fastcgi-pool BENCH_MANY_POOL = 16), raw and through the gateway on the same php-fpm;
#   - the gateway at 16 connections with --fastcgi-pool 4, 8 and 16;
#   - 100k messages on one connection: msgs/s per 10k slice and the gateway's RSS;
#   - RSS per idle connection with 10,000 connections open, and CPU while they sit idle.
# Prints a Markdown report and writes it to bench/results/latest.md.
#
# Knobs (environment): BENCH_DURATION (5 s per point), BENCH_WARMUP (1 s), BENCH_POOL (8,
# the pool of the main table), BENCH_POOLS ("4 8 16"), BENCH_SERIES (100000), BENCH_IDLE
# (10000), BENCH_FPM_CHILDREN (32), BENCH_FEW_WORKERS (4), BENCH_FEW_POOL (4), BENCH_MANY_POOL
# (16), BENCH_BUILD_DIR (build-bench), BENCH_SKIP_BUILD=1. About 6 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
DUR=${BENCH_DURATION:-5}
WARM=${BENCH_WARMUP:-1}
POOL=${BENCH_POOL:-8}
POOLS=${BENCH_POOLS:-"4 8 16"}
SERIES=${BENCH_SERIES:-100000}
IDLE=${BENCH_IDLE:-10000}
CHILDREN=${BENCH_FPM_CHILDREN:-32}
FEW_WORKERS=${BENCH_FEW_WORKERS:-4}
FEW_POOL=${BENCH_FEW_POOL:-4}
MANY_POOL=${BENCH_MANY_POOL:-16}
FPM=${BENCH_FPM:-$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)}
OUT_DIR=$ROOT/bench/results
OUT=$OUT_DIR/latest.md

say() { printf '%s\n' "$*" >&2; }

# --- build -------------------------------------------------------------------------------------
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "== building Release in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWSGATE_BUILD_GUI=OFF \
        -DWSGATE_BUILD_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target wsgated wsload fcgiload >/dev/null
fi
WSGATED=$BUILD/app/wsgated
WSLOAD=$BUILD/bench/wsload
FCGILOAD=$BUILD/bench/fcgiload
for b in "$WSGATED" "$WSLOAD" "$FCGILOAD"; do
    [[ -x $b ]] || { say "missing $b"; exit 1; }
done
[[ -x $FPM ]] || { say "php-fpm not found (install php8.2-fpm)"; exit 1; }

# 10,000 idle connections need ~10k descriptors in wsgated and as many in wsload.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < IDLE + 200)); then
    say "open-files limit $(ulimit -n) is below $IDLE connections; lowering BENCH_IDLE"
    IDLE=$(($(ulimit -n) - 200))
fi

# --- private php-fpm ---------------------------------------------------------------------------
# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"
bench_start_fpm wsgate-bench "$CHILDREN"

# --- helpers -----------------------------------------------------------------------------------
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
fmt0() { LC_ALL=C printf '%.0f' "$1"; }
fmt1() { LC_ALL=C printf '%.1f' "$1"; }
ratio() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ge() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

GW_PORT=
start_gateway() { # pool size, extra args...
    local pool=$1
    shift
    stop_gateway
    "$WSGATED" --listen 127.0.0.1:0 --push-listen 127.0.0.1:0 --fastcgi "unix:$SOCK" \
        --script "$SCRIPT" --fastcgi-pool "$pool" --max-connections $((IDLE + 100)) "$@" \
        2>"$TMP/wsgated.log" &
    GW_PID=$!
    for _ in $(seq 100); do
        GW_PORT=$(sed -n 's#.*listening on ws://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$TMP/wsgated.log")
        [[ -n $GW_PORT ]] && return 0
        sleep 0.1
    done
    say "wsgated did not start:"
    cat "$TMP/wsgated.log" >&2
    exit 1
}
stop_gateway() {
    if [[ -n $GW_PID ]]; then
        kill "$GW_PID" 2>/dev/null || true
        wait "$GW_PID" 2>/dev/null || true
        GW_PID=
    fi
}
url() { echo "ws://127.0.0.1:$GW_PORT/ws"; }
raw() { "$FCGILOAD" --fastcgi "unix:$SOCK" --script "$SCRIPT" --duration "$DUR" --warmup "$WARM" "$@" | grep '^RESULT'; }
gw() { "$WSLOAD" --url "$(url)" --duration "$DUR" --warmup "$WARM" "$@" | grep '^RESULT'; }

mkdir -p "$OUT_DIR"
REPORT=$TMP/report.md
{
    echo "# wsgate benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
        "$("$FPM" -v | head -1 | cut -d' ' -f1-2), pm.max_children=$CHILDREN," \
        "${DUR}s per point after ${WARM}s warm-up. Echo handler, text messages, round trip" \
        "(one message in flight per connection). Load tools share the machine's cores."
    echo
    echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine"
    echo "skews every figure; the ratios compare points measured back to back)."
    echo
} >"$REPORT"

# --- 1. raw FastCGI vs gateway -----------------------------------------------------------------
# compare_row CONNS SIZE TARGET: raw FastCGI (both clients) and the gateway now running, one row.
compare_row() {
    local conns=$1 size=$2 want=$3 r p g rr pr gr base q verdict label errs
    r=$(raw --client raw --connections "$conns" --size "$size")
    p=$(raw --client pool --connections "$conns" --size "$size")
    g=$(gw --connections "$conns" --size "$size")
    say "   raw  $r"
    say "   pool $p"
    say "   gw   $g"
    rr=$(field rate "$r")
    pr=$(field rate "$p")
    gr=$(field rate "$g")
    # The baseline is the faster of the two FastCGI clients.
    base=$rr
    ge "$pr" "$rr" && base=$pr
    q=$(ratio "$gr" "$base")
    verdict="≥ ${want}× ✗"
    ge "$q" "$want" && verdict="≥ ${want}× ✓"
    if ((size >= 1024)); then label="$((size / 1024)) KiB"; else label="$size B"; fi
    errs=$(($(field errors "$r") + $(field errors "$p") + $(field errors "$g")))
    echo "| $conns | $label | $(fmt0 "$rr") | $(fmt0 "$pr") | $(fmt0 "$gr") | **$q** | $verdict |" \
        "$(fmt0 "$(field p50_us "$g")") / $(fmt0 "$(field p99_us "$g")") |" \
        "$(fmt0 "$(field p50_us "$r")") / $(fmt0 "$(field p99_us "$r")") | $errs |" \
        "$(fmt0 "$(field cpu_pct "$g")") % |" >>"$REPORT"
}
table_head() {
    echo "| conns | size | raw FastCGI msg/s | FastCgiPool msg/s | gateway msg/s | gateway / raw | target | gateway p50 / p99 µs | raw p50 / p99 µs | errors | wsload CPU |"
    echo "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
}

say "== raw FastCGI vs gateway (--fastcgi-pool $POOL)"
start_gateway "$POOL"
{
    echo "## Throughput: gateway vs raw PHP-FPM ($CHILDREN workers, --fastcgi-pool $POOL)"
    echo
    table_head
} >>"$REPORT"
# conns:size:target
for row in 1:64:0.6 1:16384:0.6 16:64:0.8 16:16384:0.8 4:102400:0.7; do
    IFS=: read -r conns size want <<<"$row"
    compare_row "$conns" "$size" "$want"
done
{
    echo
    echo "Ratio = gateway / the faster FastCGI client (raw epoll client, or the project's FastCgiPool)."
    echo
} >>"$REPORT"

# --- 1b. few and many PHP workers --------------------------------------------------------------
say "== 64 B at 16 and 64 connections: $FEW_WORKERS workers (pool $FEW_POOL), $CHILDREN workers (pool $MANY_POOL)"
{
    echo "## 64 B at 16 and 64 connections, by PHP workers"
    echo
    echo "### $FEW_WORKERS PHP workers, --fastcgi-pool $FEW_POOL"
    echo
    table_head
} >>"$REPORT"
stop_gateway
bench_restart_fpm "$FEW_WORKERS"
start_gateway "$FEW_POOL"
for conns in 16 64; do
    compare_row "$conns" 64 0.9
done
{
    echo
    echo "### $CHILDREN PHP workers, --fastcgi-pool $MANY_POOL"
    echo
    table_head
} >>"$REPORT"
stop_gateway
bench_restart_fpm "$CHILDREN"
start_gateway "$MANY_POOL"
for conns in 16 64; do
    compare_row "$conns" 64 0.8
done
{
    echo
    echo "The raw clients keep one connection per load connection: with fewer PHP workers than"
    echo "connections, php-fpm serves as many kept-alive connections as it has workers and the rest"
    echo "wait in its backlog, so the raw figure is what the workers can do at all."
    echo
} >>"$REPORT"

# --- 2. pool size ------------------------------------------------------------------------------
say "== --fastcgi-pool sweep at 16 connections"
{
    echo "## --fastcgi-pool at 16 connections (gateway msg/s)"
    echo
    echo "| --fastcgi-pool | 64 B msg/s | 64 B p99 µs | 16 KiB msg/s | 16 KiB p99 µs |"
    echo "|---:|---:|---:|---:|---:|"
} >>"$REPORT"
for pool in $POOLS; do
    start_gateway "$pool"
    a=$(gw --connections 16 --size 64)
    b=$(gw --connections 16 --size 16384)
    say "   pool $pool: $a"
    say "   pool $pool: $b"
    echo "| $pool | $(fmt0 "$(field rate "$a")") | $(fmt0 "$(field p99_us "$a")") |" \
        "$(fmt0 "$(field rate "$b")") | $(fmt0 "$(field p99_us "$b")") |" >>"$REPORT"
done
echo >>"$REPORT"

# --- 3. 100k messages on one connection --------------------------------------------------------
say "== $SERIES messages on one connection"
start_gateway "$POOL"
s=$("$WSLOAD" --url "$(url)" --series "$SERIES" --slice $((SERIES / 10)) --size 64 --pid "$GW_PID")
say "$s"
summary=$(grep 'mode=series' <<<"$s")
{
    echo "## $SERIES messages (64 B) on one connection"
    echo
    echo "| slice | msg/s | p50 µs | p99 µs | wsgated RSS KiB |"
    echo "|---:|---:|---:|---:|---:|"
    echo "| start | | | | $(field rss_start_kib "$summary") |"
    grep 'mode=slice' <<<"$s" | while read -r line; do
        echo "| $(field slice "$line") | $(fmt0 "$(field rate "$line")") |" \
            "$(fmt0 "$(field p50_us "$line")") | $(fmt0 "$(field p99_us "$line")") |" \
            "$(field rss_kib "$line") |"
    done
    echo
    echo "Total $(fmt0 "$(field rate "$summary")") msg/s; slowest slice $(fmt0 "$(field slowest_slice "$summary")")," \
        "fastest $(fmt0 "$(field fastest_slice "$summary")") msg/s; errors $(field errors "$summary");" \
        "RSS $(field rss_start_kib "$summary") → $(field rss_end_kib "$summary") KiB" \
        "(wsgated keeps no traffic log unless --traffic-log asks for one)."
    echo
} >>"$REPORT"

# --- 4. idle connections -----------------------------------------------------------------------
say "== $IDLE idle connections"
start_gateway "$POOL"
sleep 1
i=$("$WSLOAD" --url "$(url)" --idle "$IDLE" --pid "$GW_PID" --idle-seconds 5 --settle 2)
say "$i"
kib=$(field kib_per_conn "$i")
idlecpu=$(field idle_cpu_pct "$i")
v1="✗"
ge 10 "$kib" && v1="✓"
v2="✗"
ge 0.5 "$idlecpu" && v2="✓"
{
    echo "## Idle connections"
    echo
    echo "| connections open | wsgated RSS before | after | per connection | target | CPU while idle ($(field idle_secs "$i" | cut -c1-3) s) | target |"
    echo "|---:|---:|---:|---:|---|---:|---|"
    echo "| $(field still_open "$i") of $IDLE | $(field rss_before_kib "$i") KiB | $(field rss_after_kib "$i") KiB |" \
        "**$(fmt1 "$kib") KiB** | ≤ 10 KiB $v1 | $(fmt1 "$idlecpu") % ($(field idle_cpu_ticks "$i") ticks) | ~0 $v2 |"
    echo
    echo "Opened in $(fmt1 "$(field open_secs "$i")") s; failed $(field failed "$i"), closed by the server $(field closed_by_server "$i")."
} >>"$REPORT"
stop_gateway

cp "$REPORT" "$OUT"
cat "$REPORT"
say "written to $OUT"
