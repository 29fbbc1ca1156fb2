#!/usr/bin/env bash
# Nothing lost silently, as a figure: wsgated under a steady load of unique messages while its
# php-fpm is killed and stopped, then every message accounted for.
#
#   scripts/bench-faults.sh            (about 75 s after the build)
#
# Builds Release (wsgated, wsverify) in BENCH_BUILD_DIR (default build-bench), starts a private
# php-fpm (bench/echo.php, FAULT_CHILDREN = 8 workers) and wsgated (--fastcgi-pool 4), then runs
# bench/wsverify: FAULT_CONNECTIONS (16) connections, unique 64-byte messages, at most 4
# unanswered and 500/s per connection, for FAULT_DURATION (60) s, with this timeline:
#   t = FAULT_KILL_AT (5) s     kill -9 of php-fpm — master and workers at once (FAULT_KILL=master:
#                               the master alone; its workers keep serving their connections) —
#                               and started again right away;
#   t = FAULT_STOP_AT (20) s    php-fpm stopped (SIGQUIT) and left down FAULT_DOWN (10) s;
#   t = duration                sending stops; up to 30 s for the last answers.
# Prints one Markdown table: messages sent, answered (replies, errors by code), connections
# closed and what they left unanswered against wsgate_messages_dropped_total, lost (must be 0),
# the gateway's peak RSS (VmHWM) and whether it stayed up and serves a new client; the report
# also lands in bench/results/faults.md. Exit status 1 when anything was lost or the gateway
# went down.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"

CONNS=${FAULT_CONNECTIONS:-16}
DURATION=${FAULT_DURATION:-60}
KILL_AT=${FAULT_KILL_AT:-5}
STOP_AT=${FAULT_STOP_AT:-20}
DOWN=${FAULT_DOWN:-10}
KILL_MODE=${FAULT_KILL:-all}
CHILDREN=${FAULT_CHILDREN:-8}
OUT=$ROOT/bench/results/faults.md

bench_build wsgated wsverify wsload
bench_start_fpm wsgate-bench-faults "$CHILDREN"
bench_start_wsgated GW --fastcgi-pool 4
say "== wsgated pid $GW_PID on $GW_PORT; php-fpm pid $FPM_PID"
before=$(metrics "$GW_PUSH")

T0=$(date +%s%N)
at() { # seconds since the start
    local until=$((T0 + $1 * 1000000000))
    while (($(date +%s%N) < until)); do sleep 0.05; done
}
since() { LC_ALL=C awk -v a="$(date +%s%N)" -v b="$T0" 'BEGIN { printf "%.1f", (a - b) / 1e9 }'; }

"$TOOLS/wsverify" --url "ws://127.0.0.1:$GW_PORT/ws" --connections "$CONNS" --duration "$DURATION" \
    --window 4 --rate 500 --size 64 --drain 30 >"$TMP/verify.out" 2>"$TMP/verify.timeline" &
VERIFY_PID=$!
BENCH_PIDS+=("$VERIFY_PID")

EVENTS=()
if ((KILL_AT < DURATION)); then
    at "$KILL_AT"
    bench_kill_fpm "$KILL_MODE"
    EVENTS+=("t=$(since) s: kill -9 php-fpm ($KILL_MODE)")
    bench_run_fpm
    EVENTS+=("t=$(since) s: php-fpm started again (pid $FPM_PID)")
fi
if ((STOP_AT < DURATION)); then
    at "$STOP_AT"
    bench_stop_fpm
    EVENTS+=("t=$(since) s: php-fpm stopped")
    at $((STOP_AT + DOWN))
    bench_run_fpm
    EVENTS+=("t=$(since) s: php-fpm started again (pid $FPM_PID)")
fi
verify_rc=0
wait "$VERIFY_PID" || verify_rc=$?
EVENTS+=("t=$(since) s: every answer in (or the drain time over)")
r=$(grep '^RESULT' "$TMP/verify.out" || true)
say "$r"
[[ -n $r ]] || { say "wsverify gave no result:"; cat "$TMP/verify.timeline" >&2; exit 1; }

up=no
alive "$GW_PID" && up=yes
fresh=$("$TOOLS/wsload" --url "ws://127.0.0.1:$GW_PORT/ws" --connections 1 --count 100 --warmup 0 \
    2>/dev/null | grep '^RESULT' || true)
serves=no
[[ -n $fresh && $(field msgs "$fresh") == 100 && $(field errors "$fresh") == 0 ]] && serves=yes
after=$(metrics "$GW_PUSH")
hwm=$(peak_rss_kib "$GW_PID")

dropped=0
for reason in client_closed closing queue_full shutdown memory_budget; do
    m="wsgate_messages_dropped_total{reason=\"$reason\"}"
    dropped=$((dropped + $(metric "$m" "$after") - $(metric "$m" "$before")))
done
lost=$(field lost "$r")
closed_unanswered=$(field closed_unanswered "$r")
# Messages of closed connections are answered by the close code only when the gateway counted
# them as dropped.
unaccounted=$((closed_unanswered > dropped ? closed_unanswered - dropped : 0))
total_lost=$((lost + unaccounted))
verdict="✓"
((total_lost == 0)) || verdict="✗"
codes=$(field error_codes "$r" | tr ',' '\n' | sed 's/:/: /' | paste -sd ';' | sed 's/;/; /g')
mkdir -p "$(dirname "$OUT")"
{
    echo "## Faults under load: nothing lost silently"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "load average at the start $(cut -d' ' -f1 /proc/loadavg). $CONNS connections, unique 64-byte" \
        "messages (≤ 4 unanswered, ≤ 500/s each), php-fpm with $CHILDREN workers, --fastcgi-pool 4," \
        "${DURATION} s of load:"
    echo
    for e in "${EVENTS[@]}"; do echo "- $e"; done
    echo
    echo "| | |"
    echo "|---|---:|"
    echo "| messages sent | $(fmt0 "$(field sent "$r")") |"
    echo "| answered with the echo | $(fmt0 "$(field replied "$r")") |"
    echo "| answered with an error | $(fmt0 "$(field errored "$r")") (${codes:--}) |"
    echo "| wrong answers | $(field mismatched "$r") |"
    echo "| connections closed by the gateway (codes) | $(field closes "$r") ($(field close_codes "$r")) |"
    echo "| their unanswered messages / wsgate_messages_dropped_total | $closed_unanswered / $dropped |"
    echo "| **lost** | **$total_lost** $verdict |"
    echo "| last answer after the load stopped | $(fmt1 "$(field drain_secs "$r")") s |"
    echo "| wsgated peak RSS (VmHWM) | $(fmt1 "$(LC_ALL=C awk -v k="$hwm" 'BEGIN { print k / 1024 }')") MiB |"
    echo "| wsgated stayed up / serves a new client | $up / $serves |"
    echo
    echo "Timeline (wsverify, cumulative):"
    echo
    echo '```'
    awk 'NR % 5 == 0' "$TMP/verify.timeline"
    echo '```'
} | tee "$OUT"
((total_lost == 0 && verify_rc == 0)) && [[ $up == yes && $serves == yes ]]
