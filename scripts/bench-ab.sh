#!/usr/bin/env bash
# Gateway variants side by side: the gateway's own CPU per message, interleaved in one run.
#
#   scripts/bench-ab.sh 'LABEL=[ENV=VALUE ...] [path/to/wsgated]' ...
#
# e.g.  scripts/bench-ab.sh 'qlocalsocket=WSGATE_FASTCGI_TRANSPORT=qt' 'fdstream='
#       scripts/bench-ab.sh 'before=/tmp/old/wsgated' 'after='
#
# A variant without a binary runs build-bench's wsgated (built Release like scripts/bench.sh
# unless BENCH_SKIP_BUILD=1). For each point (AB_POINTS, "CONNS:SIZE:FPM_WORKERS:POOL" each)
# and each of AB_ROUNDS rounds (3), every variant in turn gets a fresh wsgated on one private
# php-fpm per worker count and the same round-trip load (bench/wsload, AB_DURATION s after a 1 s
# warm-up run), and raw PHP-FPM (bench/fcgiload, the epoll client) is measured in the same round.
# The gateway's CPU and PHP-FPM's (master and workers) are read from /proc/PID/stat around the
# measured run only; the load tools report their own. Throughput on a 2-core machine shared with
# PHP and the load tools moves ±15 % from run to run; CPU per message moves much less, which is
# why this script exists. Prints a Markdown table of medians: each process's CPU per message,
# and the ceiling that puts on the ratio to raw when the cores are the limit.
#
# AB_PIN="PHP_CPUS:OTHER_CPUS" (e.g. "0:1") pins PHP-FPM (master and workers) to PHP_CPUS and the
# gateway and both load tools to OTHER_CPUS (taskset lists): PHP then has cores nobody takes
# from it, as on a machine with cores to spare, and the ratio shows what the gateway costs PHP
# rather than what it costs the two shared cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh" # BUILD, FPM, say, field, bench_build
DUR=${AB_DURATION:-5}
ROUNDS=${AB_ROUNDS:-3}
POINTS=${AB_POINTS:-"16:64:4:4 16:16384:32:8 4:102400:32:8"}
(($# >= 1)) || { echo "usage: $0 'LABEL=[ENV=VALUE ...] [wsgated]' ..." >&2; exit 2; }
PIN_PHP=""
PIN_REST=()
if [[ -n ${AB_PIN:-} ]]; then
    [[ $AB_PIN == ?*:?* ]] || { echo "bench-ab: AB_PIN='$AB_PIN': expected PHP_CPUS:OTHER_CPUS" >&2; exit 2; }
    command -v taskset >/dev/null || { echo "bench-ab: AB_PIN needs taskset (util-linux)" >&2; exit 2; }
    PIN_PHP=${AB_PIN%%:*}
    PIN_REST=(taskset -c "${AB_PIN#*:}")
fi
for variant in "$@"; do
    label=${variant%%=*}
    [[ $variant == *=* && -n $label && $label != *[[:space:]]* ]] ||
        { echo "bench-ab: '$variant': expected LABEL=..., a label without spaces" >&2; exit 2; }
done

bench_build wsgated wsload fcgiload
TICK_MS=$((1000 / $(getconf CLK_TCK)))
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu_ms() { # PID... → their user + system CPU in ms, summed
    local p sum=0
    for p in "$@"; do
        sum=$((sum + $(awk -v t="$TICK_MS" '{ print ($14 + $15) * t }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$sum"
}
fpm_cpu_ms() { # PHP-FPM's master and workers
    local pids
    read -ra pids <<<"$(bench_fpm_pids)"
    cpu_ms "${pids[@]}"
}
per_msg() { LC_ALL=C awk -v c="$1" -v m="$2" 'BEGIN { printf "%.1f", (m > 0 ? c * 1000 / m : 0) }'; }

# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"
if [[ -n $PIN_PHP ]]; then
    BENCH_FPM_WRAP=(taskset -c "$PIN_PHP") # the master, and every worker it forks
fi
bench_start_fpm wsgate-ab 4
RESULTS=$TMP/results
: >"$RESULTS"

# Both print "rate gateway_us load_us fpm_us" (CPU per message; the gateway's 0 for raw).
run_raw() { # conns size
    local r f0 f1
    ${PIN_REST[@]+"${PIN_REST[@]}"} "$BUILD/bench/fcgiload" --fastcgi "unix:$SOCK" --script "$SCRIPT" --client raw \
        --duration 1 --warmup 0 --connections "$1" --size "$2" >/dev/null
    f0=$(fpm_cpu_ms)
    r=$(${PIN_REST[@]+"${PIN_REST[@]}"} "$BUILD/bench/fcgiload" --fastcgi "unix:$SOCK" --script "$SCRIPT" --client raw \
        --duration "$DUR" --warmup 0 --connections "$1" --size "$2" | grep '^RESULT')
    f1=$(fpm_cpu_ms)
    printf '%.0f 0 %s %s\n' "$(field rate "$r")" "$(field self_us_per_msg "$r")" \
        "$(per_msg $((f1 - f0)) "$(field msgs "$r")")"
}

run_variant() { # spec conns size pool
    local spec=${1#*=} conns=$2 size=$3 pool=$4 envs=() bin=$BUILD/app/wsgated word port r c0 c1 f0 f1
    for word in $spec; do
        if [[ $word == *=* ]]; then envs+=("$word"); else bin=$word; fi
    done
    ${PIN_REST[@]+"${PIN_REST[@]}"} env ${envs[@]+"${envs[@]}"} "$bin" --listen 127.0.0.1:0 --push-listen 127.0.0.1:0 \
        --fastcgi "unix:$SOCK" --script "$SCRIPT" --fastcgi-pool "$pool" 2>"$TMP/gw.log" &
    GW_PID=$!
    for _ in $(seq 100); do
        port=$(sed -n 's#.*listening on ws://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$TMP/gw.log")
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { cat "$TMP/gw.log" >&2; exit 1; }
    ${PIN_REST[@]+"${PIN_REST[@]}"} "$BUILD/bench/wsload" --url "ws://127.0.0.1:$port/ws" --duration 1 --warmup 0 \
        --connections "$conns" --size "$size" >/dev/null
    c0=$(cpu_ms "$GW_PID")
    f0=$(fpm_cpu_ms)
    r=$(${PIN_REST[@]+"${PIN_REST[@]}"} "$BUILD/bench/wsload" --url "ws://127.0.0.1:$port/ws" --duration "$DUR" --warmup 0 \
        --connections "$conns" --size "$size" | grep '^RESULT')
    c1=$(cpu_ms "$GW_PID")
    f1=$(fpm_cpu_ms)
    kill "$GW_PID"
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=
    printf '%.0f %s %s %s\n' "$(field rate "$r")" "$(per_msg $((c1 - c0)) "$(field msgs "$r")")" \
        "$(field self_us_per_msg "$r")" "$(per_msg $((f1 - f0)) "$(field msgs "$r")")"
}

LABELS=(raw)
for variant in "$@"; do LABELS+=("${variant%%=*}"); done
workers_now=4
for point in $POINTS; do
    IFS=: read -r conns size workers pool <<<"$point"
    if ((workers != workers_now)); then
        bench_restart_fpm "$workers"
        workers_now=$workers
    fi
    for round in $(seq "$ROUNDS"); do
        out=$(run_raw "$conns" "$size")
        say "   $point round $round raw: $out"
        echo "$point raw $out" >>"$RESULTS"
        for variant in "$@"; do
            out=$(run_variant "$variant" "$conns" "$size" "$pool")
            say "   $point round $round ${variant%%=*}: $out"
            echo "$point ${variant%%=*} $out" >>"$RESULTS"
        done
    done
done

col() { awk -v p="$1" -v l="$2" -v c="$3" '$1 == p && $2 == l { print $c }' "$RESULTS" | median; }
echo "# Gateway variants, interleaved ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Medians of $ROUNDS rounds, ${DUR} s each; raw = PHP-FPM over FastCGI (bench/fcgiload, epoll client) in the"
echo "same rounds. CPU per message of each process, in µs: the gateway, the load tool (fcgiload or wsload),"
echo "PHP-FPM (master and workers). CPU ceiling: the raw row's total CPU per message over the variant's, the"
echo "most the ratio to raw can be while the $(nproc) cores are the limit."
if [[ -n $PIN_PHP ]]; then
    echo "Pinned (AB_PIN=$AB_PIN): PHP-FPM on CPUs $PIN_PHP, the gateway and the load tools on ${AB_PIN#*:}"
    echo "(the ceiling column assumes shared cores)."
fi
echo
echo "| connections × size, FPM workers, pool | variant | msg/s | / raw | gateway µs | load tool µs | PHP-FPM µs | CPU ceiling |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for point in $POINTS; do
    IFS=: read -r conns size workers pool <<<"$point"
    rate_raw=$(col "$point" raw 3)
    cpu_raw=$(LC_ALL=C awk -v a="$(col "$point" raw 5)" -v b="$(col "$point" raw 6)" 'BEGIN { print a + b }')
    for label in "${LABELS[@]}"; do
        LC_ALL=C awk -v p="$conns × $size B, $workers, $pool" -v l="$label" -v r="$(col "$point" "$label" 3)" \
            -v rr="$rate_raw" -v g="$(col "$point" "$label" 4)" -v t="$(col "$point" "$label" 5)" \
            -v f="$(col "$point" "$label" 6)" -v rc="$cpu_raw" 'BEGIN {
                raw = l == "raw"
                printf "| %s | %s | %.0f | %.2f | %s | %.1f | %.1f | %s |\n", p, l, r, (rr > 0 ? r / rr : 0),
                    raw ? "—" : sprintf("%.1f", g), t, f, raw ? "" : sprintf("%.2f", rc / (g + t + f))
            }'
    done
done
