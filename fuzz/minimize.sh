#!/usr/bin/env bash
# Shrinks fuzz/corpus/<target>/ (all targets, or those named) to a small set of inputs that
# keeps every coverage edge the corpus reaches (libFuzzer's set-cover merge, edges only), plus
# the hand-written seeds (seed-*) and the inputs of fixed findings (regress-*). Run it after a
# long `make fuzz`, before committing the corpora (keep them well under 2 MB).
set -euo pipefail

cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dylink_read load_module ops)
flags=(-s none --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"
bin=target/x86_64-unknown-linux-gnu/release

for t in "${targets[@]}"; do
    tmp=$(mktemp -d)
    mkdir "$tmp/min"
    "$bin/$t" -set_cover_merge=1 -use_counters=0 "$tmp/min" "corpus/$t" >"$tmp/log" 2>&1 ||
        { tail -n 20 "$tmp/log" >&2; exit 1; }
    cp corpus/"$t"/seed-* corpus/"$t"/regress-* "$tmp/min/" 2>/dev/null || true
    rm -rf "corpus/$t"
    mv "$tmp/min" "corpus/$t"
    rm -rf "$tmp"
    printf 'fuzz: %s: %s inputs, %s bytes\n' "$t" "$(ls "corpus/$t" | wc -l)" "$(cat corpus/"$t"/* | wc -c)"
done
