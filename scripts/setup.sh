#!/usr/bin/env bash
# make setup: installs what a fresh Debian 12 machine lacks to build and test wasi-dl.
# Idempotent: prints what it installs, skips what is present, and stops with a clear message
# (what is missing, how to get it) instead of half-working.
set -euo pipefail

cd "$(dirname "$0")/.."
RUST_TOOLCHAIN=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $* (run make setup as root, or install sudo)"; fi
}

# --- the wasm C toolchain -------------------------------------------------------------------
# Debian packages that make a wasi-sdk equivalent (see /work/shared/TOOLCHAIN.md and
# scripts/wasm-sysroot.sh): clang-22, lld-22 (wasm-ld), wasi-libc, compiler-rt builtins for
# wasm32; llvm-22 (llvm-ar), cmake and ninja-build to build the C++ runtime for wasm exceptions;
# libclang1-19 (bindgen reads c-headers/ with it), wabt (wasm-objdump, for debugging).
packages=(libclang1-19 wabt cmake autoconf automake libtool)  # the last four: the build-system tests (cli/tests/buildsys.rs)
# Beside, not inside, the compile cache of `wasi-dl run` ($XDG_CACHE_HOME/wasi-dl), and not
# following XDG_CACHE_HOME: tests run programs with a private cache home, and must still find
# the compiler's sysroot.
toolchain_dir=${WASI_DL_TOOLCHAIN_DIR:-$HOME/.cache/wasi-dl-toolchain}
if [ -n "${WASI_SDK_PATH:-}" ]; then
    [ -x "$WASI_SDK_PATH/bin/clang" ] && [ -d "$WASI_SDK_PATH/share/wasi-sysroot" ] ||
        die "WASI_SDK_PATH=$WASI_SDK_PATH is not a wasi-sdk (expected \$WASI_SDK_PATH/bin/clang and \$WASI_SDK_PATH/share/wasi-sysroot); unset it to use Debian's clang"
    say "using the wasi-sdk at $WASI_SDK_PATH"
else
    packages+=(clang-22 lld-22 llvm-22 wasi-libc libclang-rt-22-dev-wasm32 cmake ninja-build)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 ||
        die "missing packages ${missing[*]} and no apt-get: install them, or point WASI_SDK_PATH at a wasi-sdk"
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get could not install ${missing[*]}"
else
    say "Debian packages present: ${packages[*]}"
fi

# --- Rust ------------------------------------------------------------------------------------
command -v rustup >/dev/null 2>&1 || die "rustup not found: install Rust with rustup (https://rustup.rs), then re-run make setup"
if ! rustup toolchain list | grep -q "^$RUST_TOOLCHAIN"; then
    say "installing Rust $RUST_TOOLCHAIN"
    rustup toolchain install "$RUST_TOOLCHAIN" --profile minimal
fi
if ! rustup target list --installed --toolchain "$RUST_TOOLCHAIN" | grep -q '^wasm32-wasip1$'; then
    say "adding the wasm32-wasip1 target to Rust $RUST_TOOLCHAIN"
    rustup target add --toolchain "$RUST_TOOLCHAIN" wasm32-wasip1
else
    say "Rust $RUST_TOOLCHAIN with wasm32-wasip1 present"
fi
# rustfmt: the guest library's build script checks bindgen's output, which bindgen formats with
# it (guest/dl/build.rs); clippy for `cargo clippy`. The minimal profile has neither.
for component in rustfmt clippy; do
    if ! rustup component list --installed --toolchain "$RUST_TOOLCHAIN" | grep -q "^$component"; then
        say "adding $component to Rust $RUST_TOOLCHAIN"
        rustup component add --toolchain "$RUST_TOOLCHAIN" "$component"
    fi
done

# --- the wasm sysroot: libsetjmp, and the C++ runtime built for wasm exceptions -----------
if [ -z "${WASI_SDK_PATH:-}" ]; then
    bash scripts/wasm-sysroot.sh "$toolchain_dir"
fi

# --- a last check that the toolchain really works -------------------------------------------
check_dir=$(mktemp -d)
trap 'rm -rf "$check_dir"' EXIT
printf 'int f(int x) { return x + 1; }\n' > "$check_dir/t.c"
if [ -n "${WASI_SDK_PATH:-}" ]; then
    cc=("$WASI_SDK_PATH/bin/clang" --sysroot="$WASI_SDK_PATH/share/wasi-sysroot" --target=wasm32-wasip1)
else
    cc=(clang-22 --target=wasm32-wasip1 --sysroot="$toolchain_dir/sysroot")
fi
"${cc[@]}" -fPIC -shared -nostdlib -Wl,--no-entry -o "$check_dir/libt.so" "$check_dir/t.c" 2>"$check_dir/err" ||
    die "the wasm C toolchain cannot build a side module: $(cat "$check_dir/err")"
say "ok: wasm toolchain works (${cc[*]})"
