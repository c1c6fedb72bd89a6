#!/usr/bin/env bash
# Fuzzes the decoders with cargo-fuzz (libFuzzer + AddressSanitizer) for a
# bounded time per target, then prints a summary (runs, corpus, crashes).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default: 120 s; decode_image dicom)
#
# Works on the stable toolchain: RUSTC_BOOTSTRAP=1 lets it take the nightly
# flags cargo-fuzz passes (-Zsanitizer=address, ...). Installs cargo-fuzz when
# missing. Seeds are written at run time (fuzz/seeds: small valid images of
# every format, synthetic CT slices, the sample .dcm files from ../shared), so
# no sample image is ever committed. A hang (-timeout), a runaway allocation
# (-rss_limit_mb / -malloc_limit_mb) or a panic is a crash: its input lands in
# fuzz/artifacts/<target>/; keep it in tests/regressions/<target>/ once fixed
# (tests/regressions.rs and tests/corpus.rs replay them). Slow units
# (slow-unit-*) are worth a look too: the first ones found were gigabyte
# allocations below the malloc limit.
# Exit status: 0 when no target crashed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-120}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode_image dicom)
SHARED=${SHARED:-$(cd .. && pwd)/shared}
RSS_MB=${FUZZ_RSS_MB:-2560}      # whole-process limit (ASan adds its own overhead)
MALLOC_MB=${FUZZ_MALLOC_MB:-1024} # one allocation: a legitimate 50-megapixel decode needs ~600 MB
TIMEOUT=${FUZZ_TIMEOUT:-20}      # seconds for one input: longer is a hang
JOBS=${FUZZ_JOBS:-1}             # parallel fuzzing processes per target

export RUSTC_BOOTSTRAP=1
# libFuzzer itself is C++: clang++ (scripts/setup-system.sh) when no c++ is found.
command -v c++ >/dev/null || export CXX=${CXX:-clang++}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# The fuzz crate is a workspace of its own: give it the kiosk's dependency versions.
for lock in fuzz/Cargo.lock fuzz/seeds/Cargo.lock; do
  [ "$lock" -nt Cargo.lock ] || cp Cargo.lock "$lock"
done

echo "== seeds"
cargo build --quiet --release --manifest-path fuzz/seeds/Cargo.toml --target-dir fuzz/target/seeds
fuzz/target/seeds/release/onemed-fuzz-seeds fuzz/corpus/decode_image fuzz/corpus/dicom "$SHARED/datasets"

echo "== build (instrumented; the first build of the whole crate takes a while)"
start=$(date +%s)
cargo fuzz build --codegen-units 16
echo "built in $(( $(date +%s) - start )) s"

declare -A MAXLEN=([decode_image]=65536 [dicom]=131072)
summary=()
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
  # Crashes, OOMs, timeouts, leaks; slow-unit-* files are listed apart.
  crashes_in() { find "fuzz/artifacts/$t" -type f ! -name 'slow-unit-*' | wc -l; }
  slow_in() { find "fuzz/artifacts/$t" -type f -name 'slow-unit-*' | wc -l; }
  before=$(crashes_in); slow_before=$(slow_in)
  log="fuzz/artifacts/$t.log"
  extra=()
  [ -f "fuzz/$t.dict" ] && extra+=("-dict=fuzz/$t.dict")
  [ "$JOBS" -gt 1 ] && extra+=("-jobs=$JOBS" "-workers=$JOBS")
  echo "== $t for ${SECS}s (log: $log)"
  set +e
  cargo fuzz run "$t" --codegen-units 16 "fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$MALLOC_MB" \
    -timeout="$TIMEOUT" -max_len="${MAXLEN[$t]:-65536}" \
    -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
  rc=$?
  set -e
  # -jobs writes fuzz-<n>.log files in the working directory.
  if [ "$JOBS" -gt 1 ]; then cat fuzz-*.log >>"$log" 2>/dev/null || true; rm -f fuzz-*.log; fi
  runs=$(grep -h '^stat::number_of_executed_units' "$log" | awk '{s+=$2} END {print s+0}')
  after=$(crashes_in); slow=$(( $(slow_in) - slow_before ))
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  crashes=$(( after - before ))
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    grep -hE 'ERROR: libFuzzer|ERROR: AddressSanitizer|panicked at|SUMMARY' "$log" | head -5 || true
  fi
  summary+=("$(printf '%-13s %4ss  %10s execs  corpus %5s  new crashes %s  new slow units %s  (exit %s)' \
    "$t" "$SECS" "$runs" "$corpus" "$crashes" "$slow" "$rc")")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
[ "$status" -eq 0 ] || echo "crash inputs: fuzz/artifacts/<target>/ (replay: cargo fuzz run <target> <file>)"
exit "$status"
