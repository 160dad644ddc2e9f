#!/usr/bin/env bash
# Assembles the wasm sysroot `wasi-dl cc` uses with Debian's clang-22, in a wasi-sdk's layout
# (`--target=wasm32-wasip1 --sysroot=DIR/sysroot`), from Debian packages only:
#
#   include/wasm32-wasip1/          Debian 12's wasi-libc headers (symlinks), plus setjmp.h and
#                                   bits/setjmp.h from Debian 13's wasi-libc
#   include/wasm32-wasip1/c++/v1/   libc++ headers (built below)
#   lib/wasm32-wasip1/              Debian 12's wasi-libc (symlinks), Debian 13's libsetjmp.a,
#                                   libunwind.a, libc++abi.a, libc++.a built for wasm exceptions
#
# Why only libsetjmp from Debian 13: its rt.o is self-contained (three functions and the
# `__c_longjmp` tag, no libc symbol), so everything else (the libc a program links and exports
# to its side modules, and the headers both are compiled with) stays the one 2022 wasi-libc.
#
# The C++ runtime is built from Debian's LLVM 19 sources (apt-get source; Debian 12 publishes
# no llvm-toolchain-22 source here) by clang-22 with -fwasm-exceptions and the standard
# exception instructions. Downloads and the built runtime are cached in DIR, so a second run is
# quick; a run with the same inputs (stamp) does nothing.
#
#   scripts/wasm-sysroot.sh DIR
set -euo pipefail

dir=$1
here=$(cd "$(dirname "$0")" && pwd)
say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

CLANG=clang-22
LLVM_SOURCE=llvm-toolchain-19
TRIXIE_LIBC=wasi-libc
target=wasm32-wasip1

mkdir -p "$dir/downloads"
clang_version=$($CLANG --version | head -1)
libc_version=$(dpkg-query -W -f='${Version}' wasi-libc)
stamp="$clang_version|$libc_version|$(sha256sum "$0" | cut -c1-16)"
if [ -f "$dir/sysroot/.stamp" ] && [ "$(cat "$dir/sysroot/.stamp")" = "$stamp" ]; then
    say "wasm sysroot present: $dir/sysroot"
    exit 0
fi

# apt-get with sources of our own: never touches the system's lists or caches, and installs
# nothing (download only).
private_apt() { # NAME SOURCES-LINE apt-get-args...
    local name=$1 line=$2; shift 2
    local d=$dir/apt-$name
    mkdir -p "$d/lists/partial" "$d/cache"
    printf '%s\n' "$line" > "$d/sources.list"
    local opts=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=-
        -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o Acquire::Languages=none
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
        -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
        -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
        -o APT::Sandbox::User=root -qq)
    apt-get "${opts[@]}" update >/dev/null || die "apt-get update failed for: $line"
    apt-get "${opts[@]}" "$@"
}

# --- Debian 13's wasi-libc: libsetjmp.a and setjmp.h ----------------------------------------
deb=$(ls "$dir"/downloads/${TRIXIE_LIBC}_*_all.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
    say "fetching Debian 13's $TRIXIE_LIBC (only that package) for libsetjmp"
    (cd "$dir/downloads" && private_apt trixie "deb http://deb.debian.org/debian trixie main" \
        download "$TRIXIE_LIBC" >/dev/null) || die "could not download Debian 13's $TRIXIE_LIBC"
    deb=$(ls "$dir"/downloads/${TRIXIE_LIBC}_*_all.deb | head -1)
fi
trixie=$dir/trixie-wasi-libc
rm -rf "$trixie"
dpkg-deb -x "$deb" "$trixie"
for f in include/wasm32-wasi/setjmp.h include/wasm32-wasi/bits/setjmp.h lib/wasm32-wasi/libsetjmp.a; do
    [ -f "$trixie/usr/$f" ] || die "$deb has no $f"
done

# --- libunwind, libc++abi, libc++ for wasm exceptions ----------------------------------------
runtime=$dir/cxx-runtime
# Bump when the way the runtime is built changes (a rebuild takes a minute or two).
RUNTIME_RECIPE=1
runtime_stamp="$clang_version|$libc_version|$LLVM_SOURCE|recipe $RUNTIME_RECIPE"
if [ -f "$runtime/.stamp" ] && [ "$(cat "$runtime/.stamp")" = "$runtime_stamp" ]; then
    say "C++ runtime for wasm exceptions present: $runtime"
else
    for tool in cmake ninja llvm-ar-22 llvm-ranlib-22 clang++-22; do
        command -v $tool >/dev/null || die "$tool is needed to build the C++ runtime (packages cmake ninja-build llvm-22 clang-22)"
    done
    orig=$(ls "$dir"/downloads/${LLVM_SOURCE}_*.orig.tar.xz 2>/dev/null | head -1 || true)
    if [ -z "$orig" ]; then
        say "fetching the $LLVM_SOURCE source package (about 165 MB, once)"
        (cd "$dir/downloads" && private_apt src \
            "deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian-security bookworm-security main" \
            source --download-only "$LLVM_SOURCE" >/dev/null) || die "could not download the $LLVM_SOURCE sources"
        orig=$(ls "$dir"/downloads/${LLVM_SOURCE}_*.orig.tar.xz | head -1)
    fi
    say "building libunwind, libc++abi and libc++ for wasm exceptions (a few minutes; once)"
    build=$(mktemp -d "$dir/build.XXXXXX")
    trap 'rm -rf "$build"' EXIT
    top=$(basename "$orig" .orig.tar.xz) # the tarball's top directory: llvm-toolchain-19_19.1.7
    tar -xJf "$orig" -C "$build" \
        "$top/libunwind" "$top/libcxxabi" "$top/libcxx" "$top/runtimes" "$top/cmake" \
        "$top/llvm/cmake" "$top/llvm/utils/llvm-lit" "$top/third-party"
    src=$build/$top
    # libunwind 19 knows no wasm: no __declspec on wasm, and an assembly.h case for it.
    sed -i 's/^\( *#if !defined(__ELF__) && !defined(__MACH__) && !defined(_AIX)\)$/\1 \&\& !defined(__wasm__)/' \
        "$src/libunwind/src/config.h"
    grep -q '!defined(_AIX) && !defined(__wasm__)' "$src/libunwind/src/config.h" || die "could not patch libunwind's config.h"
    grep -q '__wasm__' "$src/libunwind/src/assembly.h" ||
        sed -i 's/^#if defined(__APPLE__)$/#if defined(__wasm__)\n#define NO_EXEC_STACK_DIRECTIVE\n#elif defined(__APPLE__)/' "$src/libunwind/src/assembly.h"
    grep -q '__wasm__' "$src/libunwind/src/assembly.h" || die "could not patch libunwind's assembly.h"
    # The staging sysroot: Debian 12's libc only (the runtime never uses setjmp).
    stage=$build/sysroot
    mkdir -p "$stage/include/$target" "$stage/lib"
    for f in /usr/include/wasm32-wasi/*; do
        [ "$(basename "$f")" = c++ ] || ln -s "$f" "$stage/include/$target/"
    done
    ln -s /usr/lib/wasm32-wasi "$stage/lib/$target"
    # CMake knows no WASI platform; LLVM's build wants a Unix-like one (as wasi-sdk's has).
    mkdir -p "$build/cmake/Platform"
    printf 'set(WASI 1)\nset(UNIX 1)\nset(CMAKE_STATIC_LIBRARY_PREFIX "lib")\nset(CMAKE_STATIC_LIBRARY_SUFFIX ".a")\nset(CMAKE_EXECUTABLE_SUFFIX ".wasm")\n' \
        >"$build/cmake/Platform/WASI.cmake"
    flags="-fwasm-exceptions -mllvm -wasm-use-legacy-eh=false -fvisibility=default -O2"
    cmake -S "$src/runtimes" -B "$build/out" -G Ninja -Wno-dev \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$build/install" \
        -DCMAKE_C_COMPILER="$(command -v $CLANG)" -DCMAKE_CXX_COMPILER="$(command -v clang++-22)" \
        -DCMAKE_AR="$(command -v llvm-ar-22)" \
        -DCMAKE_RANLIB="$(command -v llvm-ranlib-22)" \
        -DCMAKE_C_COMPILER_TARGET=$target -DCMAKE_CXX_COMPILER_TARGET=$target \
        -DCMAKE_SYSROOT="$stage" -DCMAKE_SYSTEM_NAME=WASI -DCMAKE_SYSTEM_PROCESSOR=wasm32 \
        -DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY -DCMAKE_MODULE_PATH="$build/cmake" \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DLLVM_ENABLE_RUNTIMES="libunwind;libcxxabi;libcxx" \
        -DLLVM_INCLUDE_TESTS=OFF -DLLVM_INCLUDE_DOCS=OFF \
        -DLIBUNWIND_ENABLE_SHARED=OFF -DLIBUNWIND_ENABLE_THREADS=OFF -DLIBUNWIND_USE_COMPILER_RT=ON \
        -DLIBCXXABI_ENABLE_SHARED=OFF -DLIBCXXABI_ENABLE_THREADS=OFF -DLIBCXXABI_ENABLE_EXCEPTIONS=ON \
        -DLIBCXXABI_USE_LLVM_UNWINDER=ON -DLIBCXXABI_USE_COMPILER_RT=ON -DLIBCXXABI_HAS_PTHREAD_API=OFF \
        -DLIBCXXABI_INCLUDE_TESTS=OFF \
        -DLIBCXX_ENABLE_SHARED=OFF -DLIBCXX_ENABLE_THREADS=OFF -DLIBCXX_ENABLE_EXCEPTIONS=ON \
        -DLIBCXX_CXX_ABI=libcxxabi -DLIBCXX_HAS_MUSL_LIBC=ON -DLIBCXX_ENABLE_FILESYSTEM=OFF \
        -DLIBCXX_ENABLE_STATIC_ABI_LIBRARY=ON -DLIBCXX_USE_COMPILER_RT=ON -DLIBCXX_HAS_PTHREAD_API=OFF \
        -DLIBCXX_ENABLE_MONOTONIC_CLOCK=ON -DLIBCXX_INCLUDE_BENCHMARKS=OFF -DLIBCXX_INCLUDE_TESTS=OFF \
        >"$build/cmake.log" 2>&1 || die "configuring the C++ runtime failed: $(grep -A5 'CMake Error' "$build/cmake.log")"
    ninja -C "$build/out" install >"$build/ninja.log" 2>&1 ||
        die "building the C++ runtime failed: $(grep -m5 -B2 -A5 'error' "$build/ninja.log")"
    # The exception tag the compiler references and Debian's compiler-rt leaves empty.
    printf '\t.globl __cpp_exception\n\t.tagtype __cpp_exception i32\n__cpp_exception:\n' >"$build/tag.s"
    $CLANG --target=$target -c "$build/tag.s" -o "$build/cpp_exception_tag.o"
    llvm-ar-22 rs "$build/install/lib/libunwind.a" "$build/cpp_exception_tag.o"
    # Its register save/restore sources have nothing for wasm: drop the empty objects, which
    # wasm-ld warns about at every link.
    for member in $(llvm-ar-22 t "$build/install/lib/libunwind.a" | grep '\.S\.o$'); do
        llvm-ar-22 d "$build/install/lib/libunwind.a" "$member"
    done
    rm -rf "$runtime.new" && mkdir -p "$runtime.new"
    cp -a "$build/install/include" "$build/install/lib" "$runtime.new/"
    printf '%s' "$runtime_stamp" >"$runtime.new/.stamp"
    rm -rf "$runtime" && mv "$runtime.new" "$runtime"
    rm -rf "$build"
    trap - EXIT
fi

# --- the sysroot -------------------------------------------------------------------------------
new=$dir/sysroot.new
rm -rf "$new"
mkdir -p "$new/include/$target/bits" "$new/include/$target/c++" "$new/lib/$target"
# Symlinks to Debian 12's wasi-libc, leaving out Debian's C++ runtime (built without
# exceptions) and the directories this sysroot adds files to.
for f in /usr/include/wasm32-wasi/*; do
    case $(basename "$f") in c++ | bits) ;; *) ln -s "$f" "$new/include/$target/" ;; esac
done
for f in /usr/include/wasm32-wasi/bits/*; do ln -s "$f" "$new/include/$target/bits/"; done
for f in /usr/lib/wasm32-wasi/*; do
    case $(basename "$f") in libc++* | libunwind*) ;; *) ln -s "$f" "$new/lib/$target/" ;; esac
done
cp "$trixie/usr/include/wasm32-wasi/setjmp.h" "$new/include/$target/setjmp.h"
cp "$trixie/usr/include/wasm32-wasi/bits/setjmp.h" "$new/include/$target/bits/setjmp.h"
cp "$trixie/usr/lib/wasm32-wasi/libsetjmp.a" "$new/lib/$target/libsetjmp.a"
cp -a "$runtime/include/c++/v1" "$new/include/$target/c++/v1"
# libc++ may install its target-specific __config_site under the triple.
if [ -d "$runtime/include/$target/c++/v1" ]; then
    cp -a "$runtime/include/$target/c++/v1/." "$new/include/$target/c++/v1/"
fi
find "$runtime/lib" -name '*.a' -exec cp {} "$new/lib/$target/" \;
for f in libc.a libsetjmp.a libunwind.a libc++abi.a libc++.a; do
    [ -f "$new/lib/$target/$f" ] || die "the assembled sysroot lacks lib/$target/$f"
done
printf '%s' "$stamp" >"$new/.stamp"
rm -rf "$dir/sysroot" && mv "$new" "$dir/sysroot"
rm -rf "$trixie" "$dir"/apt-* # the .deb and the source tarball stay in downloads/
say "wasm sysroot assembled: $dir/sysroot"
