#!/bin/sh
# Builds the guest library (release, wasm32-wasip1) and installs the wasi-dl
# sysroot for C main programs:
#
#   include/dlfcn.h, include/wasi_dl/wasi_dl.h,
#   include/wasi_dl/plugin.h                     (copied from c-headers/)
#   lib/libwasi_dl.a                             (wasi-dl-capi, debug info stripped)
#   lib/crt1-wasi-dl.o                           (_start + stack protector symbols)
#
# into ${WASI_DL_SYSROOT:-<repo>/target/wasi-dl-sysroot}. Idempotent and quick
# when nothing changed: cargo decides what to rebuild, and installed files are
# only replaced when their contents differ (their mtimes stay put otherwise).
#
# Environment:
#   WASI_DL_SYSROOT  where to install
#   CARGO            cargo to use (default: cargo)
#   WASI_DL_CC       a clang that targets wasm32 (default: $WASI_SDK_PATH/bin/clang,
#                    else clang-22, else clang-19, else clang)
set -eu

guest=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$guest")
sysroot=${WASI_DL_SYSROOT:-$root/target/wasi-dl-sysroot}
cargo=${CARGO:-cargo}
target_dir=$guest/target
staging=$target_dir/sysroot-staging

say() { printf 'guest/install.sh: %s\n' "$*" >&2; }

# install_file SRC DST: copy if the contents differ (atomically).
install_file() {
    if ! cmp -s "$1" "$2" 2>/dev/null; then
        mkdir -p "$(dirname "$2")"
        cp "$1" "$2.tmp.$$"
        mv "$2.tmp.$$" "$2"
        say "installed $2"
    fi
}

. "$guest/find-cc.sh"

# 1. The staticlib. An explicit --target-dir: a CARGO_TARGET_DIR from the
#    environment must not move the artifact this script looks for.
(cd "$guest" && "$cargo" build --quiet --release --target wasm32-wasip1 \
    -p wasi-dl-capi --target-dir "$target_dir")
lib=$target_dir/wasm32-wasip1/release/libwasi_dl.a
mkdir -p "$staging"

# 2. Strip debug info: the archive holds the Rust standard library's, which
#    would more than double a small program. rust-objcopy (llvm-objcopy, part
#    of every rustup toolchain) handles wasm archives; without it the archive
#    is installed as it is.
if [ ! -f "$staging/libwasi_dl.a" ] || [ "$lib" -nt "$staging/libwasi_dl.a" ]; then
    rust_sysroot=$(cd "$guest" && rustc --print sysroot)
    host=$(cd "$guest" && rustc -vV | sed -n 's/^host: //p')
    objcopy=$rust_sysroot/lib/rustlib/$host/bin/rust-objcopy
    if [ -x "$objcopy" ] && LD_LIBRARY_PATH="$rust_sysroot/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$objcopy" --strip-debug "$lib" "$staging/libwasi_dl.a.tmp" 2>/dev/null; then
        mv "$staging/libwasi_dl.a.tmp" "$staging/libwasi_dl.a"
    else
        rm -f "$staging/libwasi_dl.a.tmp"
        say "rust-objcopy unavailable: installing libwasi_dl.a with debug info"
        cp "$lib" "$staging/libwasi_dl.a"
    fi
fi

# 3. The start-up object. Rebuilt when its source, this script or the
#    compiler choice changes.
cc=$(find_cc)
crt_src=$guest/crt/crt1-wasi-dl.c
crt_obj=$staging/crt1-wasi-dl.o
crt_flags="--target=wasm32-wasip1 -O2 -fno-stack-protector"
stamp="$cc $crt_flags"
if [ ! -f "$crt_obj" ] || [ "$crt_src" -nt "$crt_obj" ] || [ "$0" -nt "$crt_obj" ] \
    || [ "$(cat "$staging/crt.stamp" 2>/dev/null)" != "$stamp" ]; then
    # shellcheck disable=SC2086 # crt_flags is a list of flags
    "$cc" $crt_flags -c "$crt_src" -o "$crt_obj.tmp"
    mv "$crt_obj.tmp" "$crt_obj"
    printf '%s\n' "$stamp" >"$staging/crt.stamp"
fi

# 4. Install.
install_file "$root/c-headers/dlfcn.h" "$sysroot/include/dlfcn.h"
install_file "$root/c-headers/wasi_dl/wasi_dl.h" "$sysroot/include/wasi_dl/wasi_dl.h"
install_file "$root/c-headers/wasi_dl/plugin.h" "$sysroot/include/wasi_dl/plugin.h"
install_file "$staging/libwasi_dl.a" "$sysroot/lib/libwasi_dl.a"
install_file "$crt_obj" "$sysroot/lib/crt1-wasi-dl.o"
