#!/bin/sh
# The HttpRequestParser fuzzer alone (kept for old instructions): scripts/fuzz.sh does the work.
exec bash "$(dirname "$0")/fuzz.sh" "${1:-120}" fuzz_httprequestparser
