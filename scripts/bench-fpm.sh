# Sourced by scripts/bench.sh and scripts/bench-gui.sh: a private php-fpm for the load tools.
#
#   bench_start_fpm NAME CHILDREN
#
# Makes TMP (a temp dir removed on exit, with GW_PID killed if set), copies bench/echo.php to
# SCRIPT, and starts php-fpm (FPM, pm = static with CHILDREN workers) on the unix socket SOCK;
# exits the script when php-fpm does not come up. Needs ROOT, FPM and say().

bench_cleanup() {
    [[ -n ${GW_PID:-} ]] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
    [[ -n ${FPM_PID:-} ]] && kill "$FPM_PID" 2>/dev/null && wait "$FPM_PID" 2>/dev/null
    rm -rf "$TMP"
}

bench_start_fpm() {
    local name=$1 children=$2
    TMP=$(mktemp -d "/tmp/$name.XXXXXX")
    FPM_PID=
    GW_PID=
    trap bench_cleanup EXIT
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
pm.max_children = $children
pm.max_requests = 0
catch_workers_output = no
clear_env = yes
php_admin_value[display_errors] = Off
php_admin_value[post_max_size] = 64M
php_admin_value[opcache.enable] = 1
EOF
    local root_flag=()
    ((EUID == 0)) && root_flag=(--allow-to-run-as-root)
    "$FPM" --nodaemonize --fpm-config "$TMP/fpm.conf" "${root_flag[@]}" 2>>"$TMP/fpm.log" &
    FPM_PID=$!
    for _ in $(seq 100); do
        [[ -S $SOCK ]] && break
        sleep 0.1
    done
    [[ -S $SOCK ]] || { say "php-fpm did not start:"; cat "$TMP/fpm.log" >&2; exit 1; }
}
