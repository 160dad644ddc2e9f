# Sourced by install.sh and check.sh: find_cc prints the clang that builds for wasm32, the same
# for both (WASI_DL_CC, else $WASI_SDK_PATH/bin/clang, else clang-22, else clang-19, else clang).
find_cc() {
    if [ -n "${WASI_DL_CC:-}" ]; then
        echo "$WASI_DL_CC"
    elif [ -n "${WASI_SDK_PATH:-}" ] && [ -x "$WASI_SDK_PATH/bin/clang" ]; then
        echo "$WASI_SDK_PATH/bin/clang"
    elif command -v clang-22 >/dev/null 2>&1; then
        echo clang-22
    elif command -v clang-19 >/dev/null 2>&1; then
        echo clang-19
    elif command -v clang >/dev/null 2>&1; then
        echo clang
    else
        printf '%s: no clang found for wasm32 (set WASI_DL_CC or WASI_SDK_PATH)\n' "$0" >&2
        return 1
    fi
}

# find_sysroot_flag prints the --sysroot= flag for C code built with find_cc's clang: a
# wasi-sdk's own sysroot, else the one `make setup` assembles for Debian's clang-22 (which
# knows no wasm32-wasip1 headers of its own); nothing when neither is there.
find_sysroot_flag() {
    if [ -z "${WASI_DL_CC:-}" ] && [ -n "${WASI_SDK_PATH:-}" ] &&
        [ -d "$WASI_SDK_PATH/share/wasi-sysroot" ]; then
        echo "--sysroot=$WASI_SDK_PATH/share/wasi-sysroot"
    elif [ -d "${WASI_DL_TOOLCHAIN_DIR:-$HOME/.cache/wasi-dl-toolchain}/sysroot" ]; then
        echo "--sysroot=${WASI_DL_TOOLCHAIN_DIR:-$HOME/.cache/wasi-dl-toolchain}/sysroot"
    fi
}
