# Sourced by the bench scripts: a private php-fpm for the load tools.
#
#   bench_start_fpm NAME CHILDREN [SCRIPT]
#
# Makes TMP (a temp dir removed on exit, with GW_PID, BENCH_PIDS and php-fpm killed if set),
# copies bench/echo.php (or bench/SCRIPT) to SCRIPT, and starts php-fpm (FPM, pm = static with
# CHILDREN workers) on the unix socket SOCK; exits the script when php-fpm does not come up.
# Needs ROOT, FPM and say(); BENCH_FPM_WRAP, an array, prefixes the php-fpm command (taskset).
# Then, for faults and other pool sizes:
#   bench_fpm_pids          the master and its workers, space-separated
#   bench_stop_fpm          graceful stop (SIGQUIT), waits for it
#   bench_kill_fpm [all]    SIGKILL the master (with "all": and its workers, at once)
#   bench_run_fpm           starts it again with the same config (after a stop or a kill)
#   bench_restart_fpm N     stop, then start with N workers

bench_cleanup() {
    [[ -n ${GW_PID:-} ]] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
    local p
    for p in ${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    [[ -n ${FPM_PID:-} ]] && bench_stop_fpm
    # Workers orphaned by a SIGKILLed master (bench_kill_fpm without "all").
    for p in ${FPM_ORPHANS[@]+"${FPM_ORPHANS[@]}"}; do
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}

bench_write_fpm_conf() { # children
    cat >"$TMP/fpm.conf" <<CONF
[global]
pid = $TMP/fpm.pid
error_log = $TMP/fpm.log
daemonize = no
log_level = warning

[bench]
listen = $SOCK
listen.backlog = 511
pm = static
pm.max_children = $1
pm.max_requests = 0
catch_workers_output = no
clear_env = yes
php_admin_value[display_errors] = Off
php_admin_value[post_max_size] = 64M
php_admin_value[opcache.enable] = 1
CONF
}

bench_run_fpm() {
    local root_flag=()
    ((EUID == 0)) && root_flag=(--allow-to-run-as-root)
    rm -f "$SOCK"
    ${BENCH_FPM_WRAP[@]+"${BENCH_FPM_WRAP[@]}"} "$FPM" --nodaemonize --fpm-config "$TMP/fpm.conf" "${root_flag[@]}" 2>>"$TMP/fpm.log" &
    FPM_PID=$!
    for _ in $(seq 100); do
        [[ -S $SOCK ]] && break
        sleep 0.1
    done
    [[ -S $SOCK ]] || { say "php-fpm did not start:"; cat "$TMP/fpm.log" >&2; exit 1; }
}

bench_start_fpm() {
    local name=$1 children=$2 script=${3:-echo.php}
    TMP=$(mktemp -d "/tmp/$name.XXXXXX")
    FPM_PID=
    GW_PID=
    BENCH_PIDS=()
    FPM_ORPHANS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM

    SCRIPT=$TMP/$script
    cp "$ROOT/bench/$script" "$SCRIPT"
    SOCK=$TMP/fpm.sock
    bench_write_fpm_conf "$children"
    bench_run_fpm
}

bench_fpm_pids() {
    [[ -n ${FPM_PID:-} ]] || return 0
    echo "$FPM_PID" $(pgrep -P "$FPM_PID" 2>/dev/null || true)
}

bench_stop_fpm() {
    [[ -n ${FPM_PID:-} ]] || return 0
    kill -QUIT "$FPM_PID" 2>/dev/null || true
    wait "$FPM_PID" 2>/dev/null || true
    FPM_PID=
}

bench_kill_fpm() { # [all]
    [[ -n ${FPM_PID:-} ]] || return 0
    local workers
    workers=$(pgrep -P "$FPM_PID" 2>/dev/null | tr '\n' ' ' || true)
    if [[ ${1:-} == all ]]; then
        # shellcheck disable=SC2086
        kill -9 "$FPM_PID" $workers 2>/dev/null || true
    else
        kill -9 "$FPM_PID" 2>/dev/null || true
        # shellcheck disable=SC2206
        FPM_ORPHANS+=($workers)
    fi
    wait "$FPM_PID" 2>/dev/null || true
    FPM_PID=
}

bench_restart_fpm() { # children
    bench_stop_fpm
    bench_write_fpm_conf "$1"
    bench_run_fpm
}
