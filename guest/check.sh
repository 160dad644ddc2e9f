#!/bin/sh
# Checks the guest library without a host: installs the sysroot, links a C
# main program (tests/dlsmoke.c) with the main-program flags, builds the side
# module libgreet.so and the Rust example rust-loader, and checks with
# wasm-objdump (wabt) that each main program
#   - imports exactly wasi_dl.{open,sym,close,last_error,addr,watch,fini,open_needed,program_runpath} and nothing
#     from "env" (no undefined symbols left over),
#   - exports memory, __indirect_function_table, __stack_pointer, _start and
#     every function of the main-program contract,
#   - has no NAME.command_export wrappers.
# With WASI_DL_RUNNER set (a command that runs a wasm program with a wasi_dl
# host, e.g. "wasi-dl run"), also runs both programs in target/check/.
#
# Outputs go to guest/target/check/. Environment: as install.sh.
set -eu

guest=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$guest")
sysroot=${WASI_DL_SYSROOT:-$root/target/wasi-dl-sysroot}
out=$guest/target/check
. "$guest/find-cc.sh"
cc=$(find_cc)
sysroot_flag=$(find_sysroot_flag)
failed=0

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failed=1
}

"$guest/install.sh"
mkdir -p "$out"

# The flags a C main program needs (guest/README.md lists the same).
main_flags="--target=wasm32-wasip1 $sysroot_flag -fvisibility=default -I$sysroot/include
 -nostartfiles $sysroot/lib/crt1-wasi-dl.o
 -Wl,--export-table -Wl,--growable-table -Wl,--export=__stack_pointer
 -Wl,--export=__wasi_dl_alloc -Wl,--export=__wasi_dl_free
 -Wl,--export=__wasi_dl_cxa_atexit -Wl,--export=__wasi_dl_finalize -Wl,--export=__wasi_dl_late_destructor
 -Wl,--export=dlopen -Wl,--export=dlsym -Wl,--export=dlclose -Wl,--export=dlerror
 -Wl,--export=dladdr -Wl,--export=dlmopen -Wl,--export=dlvsym -Wl,--export=dlinfo -Wl,--export=__wasi_dl_open_from -Wl,--export=__wasi_dl_sym_from
 -Wl,--export-dynamic"
side_flags="--target=wasm32-wasip1 $sysroot_flag -O2 -fPIC -fvisibility=default -shared -nostdlib
 -Wl,--no-entry -Wl,--unresolved-symbols=import-dynamic -Wl,--export=__wasm_call_ctors"

# shellcheck disable=SC2086 # flag lists
"$cc" $main_flags -O2 -Wall -Werror "$guest/tests/dlsmoke.c" -L"$sysroot/lib" -lwasi_dl \
    -o "$out/dlsmoke.wasm"
# shellcheck disable=SC2086
"$cc" $side_flags "$guest/examples/rust-loader/libgreet.c" -o "$out/libgreet.so" 2>"$out/side.log" \
    || { cat "$out/side.log" >&2; exit 1; }
(cd "$guest" && cargo build --quiet --release --target wasm32-wasip1 -p rust-loader \
    --target-dir "$guest/target")
cp "$guest/target/wasm32-wasip1/release/rust-loader.wasm" "$out/rust-loader.wasm"

check_main() {
    wasm=$1
    details=$out/$(basename "$wasm" .wasm).objdump
    wasm-objdump -x "$wasm" >"$details"
    imports=$(sed -n 's/.* <- \([^ ]*\)$/\1/p' "$details" | sort)
    dl_imports=$(printf '%s\n' "$imports" | grep '^wasi_dl\.' | tr '\n' ' ')
    [ "$dl_imports" = "wasi_dl.addr wasi_dl.close wasi_dl.fini wasi_dl.last_error wasi_dl.open wasi_dl.open_needed wasi_dl.program_runpath wasi_dl.sym wasi_dl.watch " ] \
        || fail "$wasm: wasi_dl imports are: $dl_imports"
    if printf '%s\n' "$imports" | grep -v -e '^wasi_dl\.' -e '^wasi_snapshot_preview1\.' >/dev/null; then
        fail "$wasm: unexpected imports: $(printf '%s\n' "$imports" | grep -v -e '^wasi_dl\.' -e '^wasi_snapshot_preview1\.' | tr '\n' ' ')"
    fi
    for name in memory __indirect_function_table __stack_pointer _start \
        __wasi_dl_alloc __wasi_dl_free __wasi_dl_cxa_atexit __wasi_dl_finalize __wasi_dl_late_destructor \
        dlopen dlsym dlclose dlerror dladdr dlmopen dlvsym dlinfo __wasi_dl_open_from __wasi_dl_sym_from; do
        grep -q -- "-> \"$name\"\$" "$details" || fail "$wasm: does not export $name"
    done
    if grep -q 'command_export' "$details"; then
        fail "$wasm: has .command_export wrappers"
    fi
    grep -q 'type=funcref initial=' "$details" || fail "$wasm: no table"
    echo "checked $wasm: $(wc -c <"$wasm") bytes"
}
check_main "$out/dlsmoke.wasm"
check_main "$out/rust-loader.wasm"

if [ -n "${WASI_DL_RUNNER:-}" ]; then
    cd "$out"
    # shellcheck disable=SC2086 # the runner may be a command with arguments
    $WASI_DL_RUNNER dlsmoke.wasm libgreet.so || fail "dlsmoke failed"
    # shellcheck disable=SC2086
    $WASI_DL_RUNNER dlsmoke.wasm libgreet.so keep || fail "dlsmoke keep failed"
    # shellcheck disable=SC2086
    $WASI_DL_RUNNER rust-loader.wasm libgreet.so || fail "rust-loader failed"
fi
exit $failed
