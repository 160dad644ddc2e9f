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
