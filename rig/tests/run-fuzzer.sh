#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time, from a scratch copy of its seed
# files (libFuzzer adds what it finds to its first corpus folder, which must
# not be the source tree). Crashing inputs are kept in
# $RIG_BUILD_DIR/fuzz-artifacts/<target>/ to reproduce with `<target> FILE`.
# RIG_FUZZ_SECONDS overrides the time.
# usage: run-fuzzer.sh FUZZER SECONDS SEED...
set -u
fuzzer=$1
seconds=${RIG_FUZZ_SECONDS:-$2}
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$@" "$work/corpus/"
artifacts=${RIG_BUILD_DIR:-$work}/fuzz-artifacts/$(basename "$fuzzer")/
mkdir -p "$artifacts"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$artifacts" -print_final_stats=1 "$work/corpus"
