# Sourced by scripts/bench-ab.sh, bench-faults.sh, bench-slowreaders.sh, bench-idle.sh and
# bench-cluster.sh: building the tools, starting wsgated on free ports, reading /proc and
# /metrics, formatting.
# Needs ROOT; sets BUILD from BENCH_BUILD_DIR (default build-bench), FPM, WSGATED and the tools'
# paths. Source scripts/bench-fpm.sh too (its cleanup kills what bench_start_wsgated starts).

BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
FPM=${BENCH_FPM:-$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)}
WSGATED=${BENCH_WSGATED:-$BUILD/app/wsgated} # BENCH_WSGATED: another build to compare
TOOLS=$BUILD/bench

say() { printf '%s\n' "$*" >&2; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
# 12345.6 -> 12,346
fmt0() { LC_ALL=C printf '%.0f' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
fmt1() { LC_ALL=C printf '%.1f' "$1"; }
ratio() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ge() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# Builds Release (no GUI, no tests) and the given targets unless BENCH_SKIP_BUILD=1.
bench_build() {
    if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
        say "== building Release in $BUILD"
        cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWSGATE_BUILD_GUI=OFF \
            -DWSGATE_BUILD_TESTS=OFF >/dev/null
        cmake --build "$BUILD" -j2 --target "$@" >/dev/null
    fi
    local t
    for t in "$@"; do
        [[ -x $BUILD/app/$t || -x $TOOLS/$t ]] || { say "missing $t in $BUILD"; exit 1; }
    done
    [[ -x $FPM ]] || { say "php-fpm not found (install php8.2-fpm)"; exit 1; }
}

# Soft open-files limit up to the hard one; prints it.
bench_raise_fd_limit() {
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    ulimit -n
}

free_port() {
    local p
    for _ in $(seq 50); do
        # Below the kernel's ephemeral range (32768-60999): the load tools' thousands of
        # outgoing connections take ports there, which a listener then cannot bind.
        p=$((10000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    echo 18080
}

wait_port() { # port [tries of 0.1 s]
    for _ in $(seq "${2:-300}"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# bench_start_wsgated NAME ARGS...: wsgated on free ports (WS and push API) with ARGS after
# --fastcgi/--script; sets NAME_PID, NAME_PORT, NAME_PUSH and NAME_LOG, adds the pid to
# BENCH_PIDS (killed on exit).
bench_start_wsgated() {
    local name=$1
    shift
    local port push log pid
    port=$(free_port)
    push=$(free_port)
    log=$TMP/$name.log
    "$WSGATED" --listen "127.0.0.1:$port" --push-listen "127.0.0.1:$push" \
        --fastcgi "unix:$SOCK" --script "$SCRIPT" "$@" 2>"$log" &
    pid=$!
    BENCH_PIDS+=("$pid")
    if ! wait_port "$port" || ! wait_port "$push" 50; then
        say "wsgated ($name) did not start:"
        cat "$log" >&2
        exit 1
    fi
    printf -v "${name}_PID" '%s' "$pid"
    printf -v "${name}_PORT" '%s' "$port"
    printf -v "${name}_PUSH" '%s' "$push"
    printf -v "${name}_LOG" '%s' "$log"
}

bench_stop_pid() { # pid: SIGTERM, wait
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

alive() { kill -0 "$1" 2>/dev/null; }
# VmHWM (peak RSS) and VmRSS of a process, KiB.
peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo -1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo -1; }
# utime + stime of a process, clock ticks.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# The push API's /metrics of a wsgated (push port).
metrics() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics" || true; }
# One sample from metrics text: metric NAME_WITH_LABELS TEXT (0 when absent).
metric() { awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }' <<<"$2"; }
