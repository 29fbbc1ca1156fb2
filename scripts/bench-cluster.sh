#!/usr/bin/env bash
# Several wsgated as one: engine threads, and two nodes on one Redis.
#
#   scripts/bench-cluster.sh           (about 90 s after the build)
#
# Builds Release (wsgated, wsload, wsreceive, pushload) in BENCH_BUILD_DIR (default build-bench),
# starts a private php-fpm (bench/events.php, 32 workers) and a private redis-server (temp dir,
# unix socket, no persistence), then measures:
#   a. round trips at CLUSTER_CONNECTIONS (64) connections, 64 B, BENCH_DURATION (5) s, on one
#      wsgated with --threads 1 and with --threads 2 (--fastcgi-pool 16 either way);
#   b. pushes per second through the push API of node A (POST /send client_id=…, 4 keep-alive
#      connections, 64 B) to CLUSTER_RECEIVERS (200) clients of node A (same node) and of node
#      B (the other node, through Redis); wsreceive holds the clients (open events welcome each
#      with its id) and counts what arrives;
#   c. CLUSTER_BROADCASTS (5) broadcasts, one every 2 s, posted to node A, to CLUSTER_FANOUT
#      (10000) clients spread over both nodes: the receivers time each arrival against the
#      sender's clock (same machine, CLOCK_MONOTONIC): p50/p99 arrival and the last client, per
#      broadcast, and p50/p99 of "time until the last client has it".
# Prints Markdown; the report also lands in bench/results/cluster.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
# shellcheck source=scripts/bench-fpm.sh
source "$ROOT/scripts/bench-fpm.sh"

CONNS=${CLUSTER_CONNECTIONS:-64}
RECEIVERS=${CLUSTER_RECEIVERS:-200}
BROADCASTS=${CLUSTER_BROADCASTS:-5}
FANOUT=${CLUSTER_FANOUT:-10000}
DUR=${BENCH_DURATION:-5}
WARM=${BENCH_WARMUP:-1}
REDIS=${BENCH_REDIS:-$(command -v redis-server || echo /usr/bin/redis-server)}
OUT=$ROOT/bench/results/cluster.md

bench_build wsgated wsload wsreceive pushload
[[ -x $REDIS ]] || { say "redis-server not found (apt-get install redis-server)"; exit 1; }
limit=$(bench_raise_fd_limit)
((FANOUT + 200 <= limit)) || { say "open-files limit $limit is below $FANOUT connections"; exit 1; }
bench_start_fpm wsgate-bench-cluster 32 events.php

REPORT=$TMP/report.md
{
    echo "## Threads and cluster"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "$(nproc) cores, load average at the start $(cut -d' ' -f1 /proc/loadavg); php-fpm with 32" \
        "workers; every process on this machine."
    echo
} >"$REPORT"

# --- a. --threads 1 vs 2 -----------------------------------------------------------------------
say "== round trips at $CONNS connections, --threads 1 and 2"
{
    echo "### Round trips at $CONNS connections (64 B, --fastcgi-pool 16)"
    echo
    echo "| --threads | msg/s | vs --threads 1 | p50 / p99 µs | wsgated CPU µs/msg |"
    echo "|---:|---:|---:|---:|---:|"
} >>"$REPORT"
one=
for threads in 1 2; do
    bench_start_wsgated GW --threads "$threads" --fastcgi-pool 16
    r=$("$TOOLS/wsload" --url "ws://127.0.0.1:$GW_PORT/ws" --connections "$CONNS" --size 64 \
        --duration "$DUR" --warmup "$WARM" --pid "$GW_PID" | grep '^RESULT')
    say "   threads $threads: $r"
    [[ -n $one ]] || one=$(field rate "$r")
    echo "| $threads | $(fmt0 "$(field rate "$r")") | $(ratio "$(field rate "$r")" "$one")× |" \
        "$(fmt0 "$(field p50_us "$r")") / $(fmt0 "$(field p99_us "$r")") | $(fmt1 "$(field gw_us_per_msg "$r")") |" \
        >>"$REPORT"
    bench_stop_pid "$GW_PID"
done

# --- private Redis, two nodes ------------------------------------------------------------------
"$REDIS" --port 0 --unixsocket "$TMP/redis.sock" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
BENCH_PIDS+=("$!")
for _ in $(seq 100); do
    [[ -S $TMP/redis.sock ]] && break
    sleep 0.1
done
[[ -S $TMP/redis.sock ]] || { say "redis-server did not start:"; cat "$TMP/redis.log" >&2; exit 1; }
NODE_ARGS=(--cluster "unix:$TMP/redis.sock" --cluster-name bench --events open,message
    --open-rate 0 --open-rate-per-address 0 --max-connections $((FANOUT + 1000)) --fastcgi-pool 8)
bench_start_wsgated A "${NODE_ARGS[@]}" --node-id nodeA
bench_start_wsgated B "${NODE_ARGS[@]}" --node-id nodeB
sleep 1 # both nodes registered

# --- b. pushes, same node vs the other ---------------------------------------------------------
say "== pushes to $RECEIVERS clients on node A and on node B, through node A"
recv_secs=$((2 * (DUR + WARM) + 6))
"$TOOLS/wsreceive" --urls "ws://127.0.0.1:$A_PORT/ws?welcome=1,ws://127.0.0.1:$B_PORT/ws?welcome=1" \
    --connections $((2 * RECEIVERS)) --ids "$TMP/ids" --duration "$recv_secs" \
    >"$TMP/receive.out" 2>"$TMP/receive.err" &
RECV_PID=$!
BENCH_PIDS+=("$RECV_PID")
for _ in $(seq 600); do
    grep -q '^READY' "$TMP/receive.out" && break
    alive "$RECV_PID" || break
    sleep 0.1
done
grep -q '^READY' "$TMP/receive.out" || { say "wsreceive did not get ready:"; cat "$TMP/receive.err" >&2; exit 1; }
say "   $(grep '^READY' "$TMP/receive.out")"
{
    echo
    echo "### Pushes through node A's push API ($RECEIVERS clients, POST /send client_id=…, 4 connections, 64 B)"
    echo
    echo "| clients on | pushes/s (200) | vs same node | p50 / p99 µs | other answers |"
    echo "|---|---:|---:|---:|---:|"
} >>"$REPORT"
same=
ok_total=0
for k in 0 1; do
    p=$("$TOOLS/pushload" --url "http://127.0.0.1:$A_PUSH" --ids "$TMP/ids" --ids-of "$k" \
        --connections 4 --duration "$DUR" --warmup "$WARM" --size 64 | grep '^RESULT')
    say "   node $k: $p"
    [[ -n $same ]] || same=$(field rate "$p")
    where="node A (same node)"
    ((k == 1)) && where="node B (other node, via Redis)"
    echo "| $where | $(fmt0 "$(field rate "$p")") | $(ratio "$(field rate "$p")" "$same")× |" \
        "$(fmt0 "$(field p50_us "$p")") / $(fmt0 "$(field p99_us "$p")") | $(field other_statuses "$p") |" \
        >>"$REPORT"
done
wait "$RECV_PID" || true
rr=$(grep 'mode=receive' "$TMP/receive.out" || true)
say "   $rr"
{
    echo
    echo "The receivers got $(fmt0 "$(field msgs "$rr")") messages in all (warm-up included)," \
        "$(field closed_by_server "$rr") connections closed by a node."
} >>"$REPORT"

# --- c. broadcast to many clients on both nodes ------------------------------------------------
say "== $BROADCASTS broadcasts to $FANOUT clients on two nodes"
"$TOOLS/wsreceive" --urls "ws://127.0.0.1:$A_PORT/ws,ws://127.0.0.1:$B_PORT/ws" \
    --connections "$FANOUT" --broadcasts "$BROADCASTS" --duration $((BROADCASTS * 2 + 20)) \
    >"$TMP/fanout.out" 2>"$TMP/fanout.err" &
RECV_PID=$!
BENCH_PIDS+=("$RECV_PID")
for _ in $(seq 1200); do
    grep -q '^READY' "$TMP/fanout.out" && break
    alive "$RECV_PID" || break
    sleep 0.1
done
grep -q '^READY' "$TMP/fanout.out" || { say "wsreceive did not get ready:"; cat "$TMP/fanout.err" >&2; exit 1; }
sleep 1
b=$("$TOOLS/pushload" --url "http://127.0.0.1:$A_PUSH" --broadcast "$BROADCASTS" --interval 2 | grep '^RESULT')
say "$b"
wait "$RECV_PID" || true
f=$(grep '^RESULT' "$TMP/fanout.out" || true)
say "$f"
sum=$(grep 'mode=receive' <<<"$f")
{
    echo
    echo "### Broadcast to $(fmt0 "$FANOUT") clients, half on each node (posted to node A)"
    echo
    echo "| broadcast | clients that got it | HTTP answer µs | arrival p50 ms | p99 ms | last client ms |"
    echo "|---:|---:|---:|---:|---:|---:|"
    grep 'mode=broadcast' <<<"$f" | while read -r line; do
        id=$(field id "$line")
        sent=$(grep "mode=broadcast id=$id " <<<"$b" || true)
        echo "| $id | $(fmt0 "$(field clients "$line")") | $(fmt0 "$(field answer_us "$sent")") |" \
            "$(fmt1 "$(LC_ALL=C awk -v u="$(field p50_us "$line")" 'BEGIN { print u / 1000 }')") |" \
            "$(fmt1 "$(LC_ALL=C awk -v u="$(field p99_us "$line")" 'BEGIN { print u / 1000 }')") |" \
            "$(fmt1 "$(LC_ALL=C awk -v u="$(field last_us "$line")" 'BEGIN { print u / 1000 }')") |"
    done
    echo
    echo "Time until the last client has it, over the $(field broadcasts "$sum") broadcasts: p50" \
        "$(fmt1 "$(LC_ALL=C awk -v u="$(field last_p50_us "$sum")" 'BEGIN { print u / 1000 }')") ms," \
        "p99 $(fmt1 "$(LC_ALL=C awk -v u="$(field last_p99_us "$sum")" 'BEGIN { print u / 1000 }')") ms" \
        "($(field complete "$sum") of $(fmt0 "$(field conns "$sum")") clients got all of them). Arrival" \
        "is when the single-threaded receiver read it: its own pass over $(fmt0 "$FANOUT") sockets is in" \
        "the figure."
} >>"$REPORT"

mkdir -p "$(dirname "$OUT")"
cp "$REPORT" "$OUT"
cat "$REPORT"
