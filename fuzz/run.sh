#!/usr/bin/env bash
# make fuzz: runs every cargo-fuzz target of wasi-dl for FUZZ_SECONDS seconds each (default 60).
#
#   FUZZ_SECONDS=600 bash fuzz/run.sh            # every target, ten minutes each
#   FUZZ_SECONDS=60 bash fuzz/run.sh ops         # one target
#   FUZZ_JOBS=2 bash fuzz/run.sh                 # targets side by side
#
# Needs a nightly Rust toolchain and cargo-fuzz (installed here if missing). Inputs that find new
# coverage are added to fuzz/corpus/<target>/ (keep them small: `cargo +nightly fuzz cmin`);
# a crash leaves its input in fuzz/artifacts/<target>/ and makes this script fail. The corpora
# are replayed on stable Rust by `cargo test -p wasi-dl --test fuzz_corpus`.
set -euo pipefail

cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dylink_read load_module ops)

say() { printf 'fuzz: %s\n' "$*"; }

rustup toolchain list | grep -q '^nightly' || {
    say "installing a nightly Rust toolchain (cargo-fuzz needs it)"
    rustup toolchain install nightly --profile minimal
}
cargo +nightly fuzz --version >/dev/null 2>&1 || {
    say "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
}

# No sanitizer: the harness is safe Rust over wasmtime; what it looks for is panics, broken
# invariants, traps and hangs. Release build with debug assertions and overflow checks.
flags=(-s none --debug-assertions)
say "building the targets (the first build takes a while: wasmtime with coverage instrumentation)"
cargo +nightly fuzz build "${flags[@]}"

run_one() {
    local target=$1
    mkdir -p "corpus/$target" "artifacts/$target"
    say "$target: ${seconds}s"
    cargo +nightly fuzz run "${flags[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
        2> "artifacts/$target/last-run.log" || {
        say "$target: FAILED (see fuzz/artifacts/$target/last-run.log)"
        tail -n 40 "artifacts/$target/last-run.log" >&2
        return 1
    }
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
        "artifacts/$target/last-run.log" | sed "s/^/fuzz: $target: /"
}

status=0
if [ "$jobs" -gt 1 ]; then
    pids=()
    for t in "${targets[@]}"; do run_one "$t" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || status=1; done
else
    for t in "${targets[@]}"; do run_one "$t" || status=1; done
fi
exit $status
