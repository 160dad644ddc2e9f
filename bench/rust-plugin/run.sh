#!/usr/bin/env bash
# make bench, the Rust plugin row: size and load time of a std Rust plugin
# (examples/rust-plugins/hello, built with `wasi-dl cargo build --release`) next to a C side
# module with the same descriptor, loaded by the same C program (timing.c) under `wasi-dl run`
# in the bench-fast profile. Prints the figures and writes target/bench/rust_plugin.json.
#   first dlopen, compiling:   a new process, no module cache
#   first dlopen, disk cache:  a new process, the on-disk cache filled by the run before
#   cycle:                     dlopen + descriptor check + one call + dlclose, median of N
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo=${CARGO:-cargo}
target_dir=${CARGO_TARGET_DIR:-$root/target}
export WASI_DL_SYSROOT=${WASI_DL_SYSROOT:-$root/target/wasi-dl-sysroot}
n=${RUST_PLUGIN_BENCH_N:-2000}
out=$root/target/bench/rust-plugin
mkdir -p "$out"

"$cargo" build --quiet --profile bench-fast -p wasi-dl-cli
wasi_dl=$target_dir/bench-fast/wasi-dl

so=$(cd examples/rust-plugins/hello && "$wasi_dl" cargo build --release --quiet \
    --target-dir "$out/target" | tail -n 1)
cp "$so" "$out/libhello.so"
"$wasi_dl" cc -O2 -fPIC -shared bench/rust-plugin/libcplugin.c -o "$out/libcplugin.so"
"$wasi_dl" cc -O2 bench/rust-plugin/timing.c -o "$out/timing.wasm"

# run LIB CACHE: "first median best" in µs.
run() {
    "$wasi_dl" run --dir "$out::/b" --cache-dir "$2" "$out/timing.wasm" "/b/$1" "$n" \
        | sed -n 's/^RESULT //p'
}

json=""
for lib in libhello.so libcplugin.so; do
    rm -rf "$out/cache"
    read -r compiling median best <<<"$(run "$lib" "$out/cache")"
    read -r cached _ _ <<<"$(run "$lib" "$out/cache")"
    size=$(wc -c <"$out/$lib")
    printf 'rust plugin bench: %-14s %7d bytes; first dlopen %8.0f us compiling, %6.0f us from the disk cache; cycle median %6.2f us (best %.2f)\n' \
        "$lib" "$size" "$compiling" "$cached" "$median" "$best"
    json="$json${json:+,}\"$lib\":{\"bytes\":$size,\"first_dlopen_compiling_us\":$compiling,\"first_dlopen_disk_cache_us\":$cached,\"cycle_median_us\":$median,\"cycle_best_us\":$best}"
done
printf '{"cycles":%s,%s}\n' "$n" "$json" >"$root/target/bench/rust_plugin.json"
