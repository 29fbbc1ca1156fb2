#!/usr/bin/env bash
# Admin readers that stop reading, as a figure: round trips through wsgated with and without
# ADMIN_READERS (32) /admin/traffic readers that never read their answer (bench/adminstall.py:
# each asks for a full answer, ~4 MiB, with a 4 KiB receive buffer, and is replaced as soon as
# the gateway cuts it), interleaved in one run; the gateway's peak RSS and how long it held a
# stalled reader before cutting it.
#
#   scripts/bench-adminreaders.sh      (about 2 min after the build)
#
# Builds Release (wsgated, wsload) in BENCH_BUILD_DIR (default build-bench), starts a private
# php-fpm (bench/echo.php, 8 workers) and wsgated with --traffic-log 10000 and a push token,
# fills the log, then runs wsload (ADMIN_CONNECTIONS = 16 connections, 64 B, ADMIN_DURATION =
# 25 s) ADMIN_ROUNDS (2) times without and with the stalled readers. Prints Markdown; also in
# bench/results/adminreaders.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"

READERS=${ADMIN_READERS:-32}
CONNS=${ADMIN_CONNECTIONS:-16}
DUR=${ADMIN_DURATION:-25}
ROUNDS=${ADMIN_ROUNDS:-2}
TOKEN=bench-admin-token-$$
OUT=$ROOT/bench/results/adminreaders.md
mib() { LC_ALL=C awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
command -v python3 >/dev/null || { say "python3 is needed for bench/adminstall.py"; exit 1; }

bench_build wsgated wsload
bench_start_fpm wsgate-bench-admin 8 echo.php
bench_start_wsgated GW --push-token "$TOKEN" --traffic-log 10000 --fastcgi-pool 8

load() { # seconds
    "$TOOLS/wsload" --url "ws://127.0.0.1:$GW_PORT/ws" --connections "$CONNS" --size 64 \
        --duration "$1" --warmup 1 --pid "$GW_PID" | grep '^RESULT'
}
say "== filling the traffic log"
load 3 >/dev/null
rss0=$(rss_kib "$GW_PID")

REPORT=$TMP/report.md
{
    echo "## Admin readers that stop reading"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "$(nproc) cores, load average at the start $(cut -d' ' -f1 /proc/loadavg); php-fpm with 8" \
        "workers, wsgated --traffic-log 10000; $CONNS connections of 64 B round trips for $DUR s per" \
        "row, rows interleaved; every process on this machine."
    echo
    echo "| round | stalled /admin/traffic readers | msg/s | vs none (same round) | readers cut | held before the cut p50 / max | wsgated RSS |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
} >"$REPORT"
for round in $(seq "$ROUNDS"); do
    r=$(load "$DUR")
    base=$(field rate "$r")
    say "   round $round, no readers: $r"
    echo "| $round | 0 | $(fmt0 "$base") | 1.00× | | | $(mib "$(rss_kib "$GW_PID")") MiB |" >>"$REPORT"
    python3 "$ROOT/bench/adminstall.py" --port "$GW_PUSH" --token "$TOKEN" --readers "$READERS" \
        --duration $((DUR + 4)) >"$TMP/stall.out" &
    STALL=$!
    BENCH_PIDS+=("$STALL")
    sleep 2 # every reader connected and asking
    r=$(load "$DUR")
    wait "$STALL" || true
    s=$(grep '^RESULT' "$TMP/stall.out" || true)
    say "   round $round, $READERS stalled readers: $r / $s"
    echo "| $round | $READERS | $(fmt0 "$(field rate "$r")") | $(ratio "$(field rate "$r")" "$base")× |" \
        "$(field cut "$s") | $(field held_p50_s "$s") s / $(field held_max_s "$s") s |" \
        "$(mib "$(rss_kib "$GW_PID")") MiB |" >>"$REPORT"
done
{
    echo
    echo "wsgated RSS before the first round $(mib "$rss0") MiB, peak over the run" \
        "$(mib "$(peak_rss_kib "$GW_PID")") MiB. A stalled reader is cut by the push listener's idle" \
        "timeout (15 s after its answer was handed over) and the 2 s linger that follows."
} >>"$REPORT"
mkdir -p "$(dirname "$OUT")"
cp "$REPORT" "$OUT"
cat "$REPORT"
