#!/usr/bin/env bash
# Builds every parser fuzzer (libFuzzer, clang 14, ASan + UBSan) against Debian's Qt, runs each
# for SECONDS from its seed corpus (tests/fuzz/corpus/<target>/), prints one line per target
# and exits non-zero on any crash, naming the artifact.
# Usage: scripts/fuzz.sh [SECONDS=60] [TARGET...]   (SECONDS=0: no time limit)
# Env:   FUZZ_BUILD_DIR (default build-fuzz/), CXX (clang++-14), FUZZ_ARGS (extra libFuzzer
#        arguments, e.g. FUZZ_ARGS=-runs=10000000 scripts/fuzz.sh 0 for a long run)
# Needs: clang-14 libclang-rt-14-dev ninja-build qt6-base-dev libhttp-parser-dev. Without
#        clang it exits 77 (CTest's skip), or 1 when CI is set.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
[[ $# -gt 0 ]] && shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
CXX=${CXX:-clang++-14}

# target | sources in core/ beside core/<area>/fuzz/<target>.cpp | libraries | -max_len
TARGETS=(
    "fuzz_httprequestparser|http/httprequestparser http/httprequest|-lhttp_parser|4096"
    "fuzz_websocketframeparser|websocket/websocketframeparser websocket/websocketframewriter websocket/utf8validator||4096"
    "fuzz_fastcgirecordparser|fastcgi/fastcgirecordparser fastcgi/fastcgicodec||4096"
    "fuzz_fastcginamevalue|fastcgi/fastcgirecordparser fastcgi/fastcgicodec||1024"
    "fuzz_cgiresponseparser|fastcgi/cgiresponseparser||4096"
    "fuzz_fpmstatus|fpm/fpmstatus||2048"
    "fuzz_handshaketriage|gateway/handshaketriage http/httprequestparser http/httprequest http/httpresponse|-lhttp_parser|16384"
)

missing() {
    echo "fuzz: $1 (apt-get install clang-14 libclang-rt-14-dev ninja-build)" >&2
    [[ -n "${CI:-}" ]] && exit 1
    exit 77
}
command -v "$CXX" >/dev/null 2>&1 || missing "$CXX not found"
[[ -f "$("$CXX" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]] ||
    missing "libFuzzer runtime for $CXX not found"
command -v ninja >/dev/null 2>&1 || missing "ninja not found"

selected=("$@")
wanted() {
    [[ ${#selected[@]} -eq 0 ]] && return 0
    local t
    for t in "${selected[@]}"; do [[ "$t" == "$1" ]] && return 0; done
    return 1
}
for t in "${selected[@]}"; do
    printf '%s\n' "${TARGETS[@]}" | grep -q "^$t|" || { echo "fuzz: no target $t" >&2; exit 2; }
done

# The build: a generated ninja file, so a re-run recompiles only what changed (headers too).
mkdir -p "$OUT"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
{
    echo "cxx = $CXX"
    echo "cflags = -std=c++17 -gline-tables-only -O1 -fPIC $SAN -fsanitize=fuzzer-no-link -I$ROOT/core $(pkg-config --cflags Qt6Core)"
    echo "ldflags = $SAN -fsanitize=fuzzer"
    echo "qtlibs = $(pkg-config --libs Qt6Core)"
    echo "rule cxx"
    echo "  command = \$cxx \$cflags -MMD -MF \$out.d -c \$in -o \$out"
    echo "  depfile = \$out.d"
    echo "  deps = gcc"
    echo "  description = CXX \$out"
    echo "rule link"
    echo "  command = \$cxx \$ldflags \$in \$qtlibs \$libs -o \$out"
    echo "  description = LINK \$out"
    declare -A objects=()
    built=()
    for entry in "${TARGETS[@]}"; do
        IFS='|' read -r target sources libs _ <<<"$entry"
        wanted "$target" || continue
        main=$(cd "$ROOT/core" && ls ./*/fuzz/"$target".cpp)
        main=${main#./}
        objs=""
        for src in "${main%.cpp}" $sources; do
            obj="obj/$src.o"
            if [[ -z "${objects[$obj]:-}" ]]; then
                echo "build $obj: cxx $ROOT/core/$src.cpp"
                objects[$obj]=1
            fi
            objs+=" $obj"
        done
        echo "build $target: link$objs"
        echo "  libs = $libs"
        built+=("$target")
    done
    echo "default ${built[*]}"
} >"$OUT/build.ninja.new"
cmp -s "$OUT/build.ninja.new" "$OUT/build.ninja" 2>/dev/null || mv "$OUT/build.ninja.new" "$OUT/build.ninja"
rm -f "$OUT/build.ninja.new"
if ! ninja_out=$(ninja -C "$OUT" -j"${FUZZ_BUILD_JOBS:-2}" --quiet 2>&1); then
    echo "$ninja_out" >&2
    exit 1
fi
[[ "$ninja_out" == "ninja: no work to do." || -z "$ninja_out" ]] || echo "$ninja_out"

# The runs, one target at a time.
# A 32 MiB quarantine (ASan's default is 256): recent frees are still caught, and the runs do
# not page in fresh memory for every input (a third of the time of the FPM status target).
# Allocation stacks two frames deep (default 30): ASan keeps every distinct allocation stack
# for good, and over a long run its depot grew to most of the time and memory (FPM status:
# 4.6k executions/s at the start, 1.1k after 5 M, 865 MB; 6k/s and 126 MB with this). A
# finding's input, run again with ASAN_OPTIONS=malloc_context_size=30, gives the full stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=32:malloc_context_size=2}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
crashes=()
for entry in "${TARGETS[@]}"; do
    IFS='|' read -r target _ _ maxlen <<<"$entry"
    wanted "$target" || continue
    corpus="$OUT/corpus/$target"
    artifacts="$OUT/artifacts/$target/"
    log="$OUT/logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "$OUT/logs"
    seeds=()
    [[ -d "$ROOT/tests/fuzz/corpus/$target" ]] && seeds=("$ROOT/tests/fuzz/corpus/$target")
    started=$(date +%s%N)
    # -error_exitcode: libFuzzer's default, 77, is CTest's "skipped".
    # shellcheck disable=SC2086
    if "$OUT/$target" -max_total_time="$SECONDS_TO_RUN" -max_len="$maxlen" -timeout=10 \
        -rss_limit_mb=2048 -error_exitcode=1 -print_final_stats=1 -artifact_prefix="$artifacts" \
        ${FUZZ_ARGS:-} "$corpus" "${seeds[@]}" >"$log" 2>&1; then
        status=ok
    else
        status=crash
    fi
    elapsed_ms=$((($(date +%s%N) - started) / 1000000))
    # libFuzzer's final stats, and the edge coverage when the seeds were read and at the end.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -1)
    initcov=$(sed -n 's/.*INITED cov: \([0-9]*\) .*/\1/p' "$log" | head -1)
    line=$(printf '%-26s %10s execs in %4d.%d s  cov %s (from %s, +%s units)' "$target" \
        "${execs:-?}" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) "${cov:-?}" \
        "${initcov:-?}" "${units:-?}")
    if [[ $status == ok ]]; then
        echo "$line  0 crashes"
    else
        artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        echo "$line  CRASH: ${artifact:-see $log}"
        grep -E -m 5 'ERROR: |runtime error:|CHECK failed|SUMMARY:' "$log" | sed 's/^/    /' || true
        crashes+=("$target: ${artifact:-$log}")
    fi
done
if [[ ${#crashes[@]} -gt 0 ]]; then
    printf 'fuzz: crash in %s\n' "${crashes[@]}" >&2
    exit 1
fi
