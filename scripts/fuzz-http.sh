#!/bin/sh
# Builds the HttpRequestParser fuzzer with clang-14 (libFuzzer + AddressSanitizer) against
# Debian's Qt and runs it. Usage: scripts/fuzz-http.sh [SECONDS=120] [extra libFuzzer args]
# Needs: apt-get install clang-14 libclang-rt-14-dev qt6-base-dev libhttp-parser-dev
set -eu
SECONDS_TO_RUN=${1:-120}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
CXX=${CXX:-clang++-14}
mkdir -p "$OUT/corpus-http" "$OUT/artifacts-http"

QT_CFLAGS=$(pkg-config --cflags Qt6Core)
QT_LIBS=$(pkg-config --libs Qt6Core)
"$CXX" -std=c++17 -g -O1 -fPIC -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT/core" $QT_CFLAGS \
    "$ROOT/core/http/fuzz/fuzz_httprequestparser.cpp" \
    "$ROOT/core/http/httprequestparser.cpp" "$ROOT/core/http/httprequest.cpp" \
    $QT_LIBS -lhttp_parser -o "$OUT/fuzz_httprequestparser"

# Seeds: a few valid requests, so the fuzzer starts past the request line.
seed() { printf '%b' "$2" > "$OUT/corpus-http/$1"; }
seed get '\0\0\0\0GET /clients?x=1 HTTP/1.1\r\nHost: a\r\n\r\n'
seed post '\0\0\0\0POST /send HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
seed chunked '\0\0\0\0POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nT: 1\r\n\r\n'
seed upgrade '\0\0\0\0GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x85'
seed pipelined '\1\40\40\3GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nabGET'

cd "$OUT"
exec ./fuzz_httprequestparser -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts-http/" "$@" "$OUT/corpus-http"
