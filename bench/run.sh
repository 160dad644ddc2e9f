#!/usr/bin/env bash
# make bench: builds wasi-dl-bench in the bench-fast profile (optimised, no LTO) and runs every
# benchmark. Arguments go to the binary: `bash bench/run.sh --quick`, `--only warm,dlsym`,
# `--wasm-only`, `--perfmap`, `--scale-libs N`. Writes target/bench/summary.json; see
# docs/PERFORMANCE.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo=${CARGO:-cargo}
target_dir=${CARGO_TARGET_DIR:-$root/target}
export WASI_DL_SYSROOT=${WASI_DL_SYSROOT:-$root/target/wasi-dl-sysroot}

# The CLI too: the demo's whole `wasi-dl run` process is measured (cold start).
"$cargo" build --quiet --profile bench-fast -p wasi-dl-bench -p wasi-dl-cli
# The Rust plugin row (size and load time of a std plugin), unless only some benchmarks are asked for.
case " $* " in *" --only "*) ;; *) bash "$root/bench/rust-plugin/run.sh" ;; esac
exec "$target_dir/bench-fast/wasi-dl-bench" --out "$root/target/bench" "$@"
