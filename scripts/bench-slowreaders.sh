#!/usr/bin/env bash
# Slow readers under the budget, as a figure: clients that never read while pushes to each of
# them go on; wsgated's RSS against its --outbound-budget.
#
#   scripts/bench-slowreaders.sh       (about 30 s per policy after the build)
#
# Builds Release (wsgated, wsreceive, pushload) in BENCH_BUILD_DIR (default build-bench), starts
# a private php-fpm with bench/events.php (open events name each client's user: ?user=uN) and,
# for each policy in SLOW_POLICIES ("reject close"), wsgated with --outbound-budget SLOW_BUDGET
# (64M) --send-buffer SLOW_SEND_BUFFER (1M) --backpressure POLICY --ping-interval 0; then
#   - bench/wsreceive --no-read opens SLOW_READERS (300) connections that never read,
#   - bench/pushload POSTs /send user=uN (round-robin over them, SLOW_PUSH_BYTES = 64 KiB each,
#     4 connections) for SLOW_SECONDS (20) s,
# sampling wsgated's RSS every 0.2 s. Prints a Markdown table per policy: pushes accepted and
# refused (503), clients closed, bytes queued at the end (the gateway's own gauge), RSS before,
# its peak (VmHWM), and the growth against the budget; also in bench/results/slowreaders.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"

POLICIES=${SLOW_POLICIES:-"reject close"}
READERS=${SLOW_READERS:-300}
BUDGET=${SLOW_BUDGET:-64M}
SEND_BUFFER=${SLOW_SEND_BUFFER:-1M}
PUSH_BYTES=${SLOW_PUSH_BYTES:-65536}
SECONDS_OF_PUSHES=${SLOW_SECONDS:-20}
OUT=$ROOT/bench/results/slowreaders.md

bench_build wsgated wsreceive pushload
bench_raise_fd_limit >/dev/null
bench_start_fpm wsgate-bench-slow 8 events.php

mib() { LC_ALL=C awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
bytes_of() { # 64M, 1M, 512K, or a number of bytes
    LC_ALL=C awk -v s="$1" 'BEGIN { n = s + 0; u = substr(s, length(s));
        if (u == "K" || u == "k") n *= 1024; else if (u == "M" || u == "m") n *= 1048576;
        else if (u == "G" || u == "g") n *= 1073741824; print n }'
}
budget_kib=$(($(bytes_of "$BUDGET") / 1024))

{
    echo "## Slow readers under the outbound budget"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "load average at the start $(cut -d' ' -f1 /proc/loadavg). $READERS clients that never read;" \
        "pushes of $((PUSH_BYTES / 1024)) KiB to each in turn (POST /send user=uN, 4 connections) for" \
        "$SECONDS_OF_PUSHES s; wsgated --outbound-budget $BUDGET --send-buffer $SEND_BUFFER."
    echo
    echo "| --backpressure | pushes accepted | refused (503) | clients closed | queued at the end | RSS before | peak RSS (VmHWM) | growth | growth / budget |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$TMP/report.md"

for policy in $POLICIES; do
    say "== --backpressure $policy"
    bench_start_wsgated GW --events open,message --open-rate 0 --open-rate-per-address 0 \
        --max-connections $((READERS + 100)) --outbound-budget "$BUDGET" \
        --send-buffer "$SEND_BUFFER" --backpressure "$policy" --ping-interval 0
    "$TOOLS/wsreceive" --urls "ws://127.0.0.1:$GW_PORT/ws?user=u%d" --connections "$READERS" \
        --no-read --duration 3600 >"$TMP/receive.out" 2>"$TMP/receive.err" &
    RECV_PID=$!
    BENCH_PIDS+=("$RECV_PID")
    for _ in $(seq 600); do
        grep -q '^READY' "$TMP/receive.out" && break
        alive "$RECV_PID" || break
        sleep 0.1
    done
    grep -q '^READY' "$TMP/receive.out" || { say "wsreceive did not get ready:"; cat "$TMP/receive.err" >&2; exit 1; }
    sleep 1
    rss_before=$(rss_kib "$GW_PID")
    peak=$rss_before
    (
        while alive "$GW_PID"; do
            rss_kib "$GW_PID"
            sleep 0.2
        done
    ) >"$TMP/rss.samples" &
    SAMPLER=$!
    BENCH_PIDS+=("$SAMPLER")
    p=$("$TOOLS/pushload" --url "http://127.0.0.1:$GW_PUSH" --connections 4 --warmup 0 \
        --duration "$SECONDS_OF_PUSHES" --size "$PUSH_BYTES" --target 'user=u%d' \
        --targets "$READERS" | grep '^RESULT')
    say "$p"
    sleep 1
    m=$(metrics "$GW_PUSH")
    kill "$SAMPLER" 2>/dev/null || true
    wait "$SAMPLER" 2>/dev/null || true
    peak=$(sort -n "$TMP/rss.samples" | tail -1)
    hwm=$(peak_rss_kib "$GW_PID")
    ((hwm > peak)) && peak=$hwm
    queued=$(metric 'wsgate_memory_used_bytes{budget="outbound"}' "$m")
    closed=$(metric 'wsgate_client_errors_total{kind="slow_consumer_closed"}' "$m")
    refused=$(sed -n 's/.*503:\([0-9]*\).*/\1/p' <<<"$(field other_statuses "$p")")
    growth=$((peak - rss_before))
    echo "| $policy | $(fmt0 "$(field ok "$p")") | $(fmt0 "${refused:-0}") | $(fmt0 "$closed") |" \
        "$(mib $((queued / 1024))) MiB | $(mib "$rss_before") MiB | $(mib "$peak") MiB |" \
        "$(mib "$growth") MiB | **$(ratio "$growth" "$budget_kib")×** |" >>"$TMP/report.md"
    bench_stop_pid "$RECV_PID"
    bench_stop_pid "$GW_PID"
done
{
    echo
    echo "Growth = peak RSS − RSS with the readers connected, before the first push. Kernel socket"
    echo "buffers (what each stuck connection's TCP queues hold) are not in the process's RSS."
} >>"$TMP/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$TMP/report.md" "$OUT"
cat "$TMP/report.md"
