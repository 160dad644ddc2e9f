#!/usr/bin/env bash
# Build and run the conformance cases natively (gcc/g++, glibc dlopen) and compare with `expected`.
#
#   toolchain-tests/run-native.sh             # every case under toolchain-tests/cases/
#   toolchain-tests/run-native.sh call_basic  # only the named cases
#   KEEP=1 ...                                # keep the build directories (printed on failure)
#   VERBOSE=1 ...                             # show compiler output (warnings) for passing cases too
#
# Build rules (the Rust harness does the same with clang for wasm32-wasi):
#   * every output goes into one build directory, which is also the program's working directory;
#   * every file of the case directory that is not *.c, *.cpp, *.h, case.toml, expected or
#     expected_stderr is copied there, then the files of `files = {...}` are written there;
#   * pass 1: every lib<NAME>.c / lib<NAME>.cpp becomes lib<NAME>.so (-shared -fPIC), dependencies
#     ignored; pass 2: every library named in `needs` is linked again with -L. -l<dep>... so that
#     it records its NEEDED entries. Two passes make dependency cycles need nothing special;
#   * main.c (or main.cpp) is linked -rdynamic, with -L. -l<dep> for `main_needs`, and -ldl;
#   * C++ is compiled -fno-exceptions -fno-rtti unless case.toml says `exceptions = true`;
#   * `cflags` from case.toml go to every compile and link (`wasm`/`wasm_reason` concern wasm only);
#   * it runs as ./main ARGS with LD_LIBRARY_PATH=. ; stdout must equal `expected`, the exit status
#     `exit_code` (default 0), and stderr `expected_stderr` when `stderr = true`.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cases_dir=$here/cases
CC=${CC:-gcc}
CXX=${CXX:-g++}
CFLAGS=${CFLAGS:--O2 -Wall}
CXXFLAGS=${CXXFLAGS:--O2 -Wall -fno-exceptions -fno-rtti}
TIMEOUT=${TIMEOUT:-30}

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for d in "$cases_dir"/*/; do names+=("$(basename "$d")"); done
fi

# Reads case.toml (if any), writes `files` into the build dir, prints shell assignments.
read_meta() { # case_dir build_dir
    python3 - "$1" "$2" <<'PY'
import os, shlex, sys, tomllib
case_dir, build = sys.argv[1], sys.argv[2]
path = os.path.join(case_dir, "case.toml")
meta = {}
if os.path.exists(path):
    with open(path, "rb") as f:
        meta = tomllib.load(f)
known = {"needs", "main_needs", "exit_code", "native", "reason", "stderr", "args", "files",
         "cflags", "lib_cflags", "wasm", "wasm_reason", "exceptions", "symlinks",
         "wasm_main_flags"}
bad = set(meta) - known
if bad:
    sys.exit(f"case.toml: unknown keys {sorted(bad)}")
libs = {n.rsplit(".", 1)[0] for n in os.listdir(case_dir)
        if n.startswith("lib") and (n.endswith(".c") or n.endswith(".cpp"))}
needs = meta.get("needs", {})
for lib, deps in list(needs.items()) + [("main", meta.get("main_needs", []))]:
    for name in [lib] + list(deps):
        if name != "main" and name not in libs:
            sys.exit(f"case.toml: {name} has no source {name}.c/.cpp")
for name, content in meta.get("files", {}).items():
    os.makedirs(os.path.dirname(os.path.join(build, name)), exist_ok=True)
    with open(os.path.join(build, name), "w") as f:
        f.write(content)
for name, target in meta.get("symlinks", {}).items():
    os.symlink(target, os.path.join(build, name))
q = shlex.quote
print(f"NATIVE={1 if meta.get('native', True) else 0}")
print(f"REASON={q(meta.get('reason', ''))}")
print(f"EXIT_CODE={int(meta.get('exit_code', 0))}")
print(f"EXCEPTIONS={1 if meta.get('exceptions', False) else 0}")
print(f"CHECK_STDERR={1 if meta.get('stderr', False) else 0}")
print("ARGS=(" + " ".join(q(str(a)) for a in meta.get("args", [])) + ")")
print("CASE_FLAGS=(" + " ".join(q(str(a)) for a in meta.get("cflags", [])) + ")")
print("MAIN_NEEDS=(" + " ".join(q(d) for d in meta.get("main_needs", [])) + ")")
print("declare -A NEEDS=(" + " ".join(f"[{q(k)}]={q(' '.join(v))}" for k, v in needs.items()) + ")")
lib_flags = meta.get("lib_cflags", {})
print("declare -A LIB_FLAGS=(" + " ".join(f"[{q(k)}]={q(' '.join(v))}" for k, v in lib_flags.items()) + ")")
PY
}

# C++ flags: exceptions and RTTI off unless the case asks for the compilers' defaults.
cxxflags() { if [ "$EXCEPTIONS" = 1 ]; then echo "${CXXFLAGS/ -fno-exceptions -fno-rtti/}"; else echo "$CXXFLAGS"; fi; }

# -l flags for a list of library names (libfoo -> -lfoo)
lflags() { for d in "$@"; do printf -- '-l%s ' "${d#lib}"; done; }

build_lib() { # source [deps...]   (uses $dir, $build, $log)
    local src=$1; shift
    local base; base=$(basename "$src"); base=${base%.*}
    local cmd
    if [[ $src == *.cpp ]]; then cmd=("$CXX" $(cxxflags)); else cmd=("$CC" $CFLAGS); fi
    cmd+=("${CASE_FLAGS[@]}" ${LIB_FLAGS[$base]:-} -I"$dir" -fPIC -shared -o "$base.so" "$src")
    [ $# -gt 0 ] && cmd+=(-L. -Wl,--no-as-needed $(lflags "$@"))
    echo "+ ${cmd[*]}" >>"$log"
    (cd "$build" && "${cmd[@]}") >>"$log" 2>&1
}

pass=0 fail=0 skip=0 failed=()
for name in "${names[@]}"; do
    dir=$cases_dir/$name
    main_src=$dir/main.c
    [ -f "$main_src" ] || main_src=$dir/main.cpp
    if [ ! -f "$main_src" ] || [ ! -f "$dir/expected" ]; then
        echo "FAIL $name: no main.c or expected"; fail=$((fail + 1)); failed+=("$name"); continue
    fi
    build=$(mktemp -d "${TMPDIR:-/tmp}/wasi-dl-native.$name.XXXXXX")
    log=$build/build.log
    ok=1
    for f in "$dir"/* "$dir"/.[!.]*; do
        [ -f "$f" ] || continue
        case "$(basename "$f")" in
            *.c | *.cpp | *.h | case.toml | expected | expected_stderr) ;;
            *) cp "$f" "$build/" ;;
        esac
    done
    meta=$(read_meta "$dir" "$build" 2>"$build/meta.err") || {
        echo "FAIL $name: $(cat "$build/meta.err")"; rm -rf "$build"
        fail=$((fail + 1)); failed+=("$name"); continue
    }
    eval "$meta"
    if [ "$NATIVE" = 0 ]; then
        echo "SKIP $name (native = false: $REASON)"; skip=$((skip + 1)); rm -rf "$build"; continue
    fi

    for src in "$dir"/lib*.c "$dir"/lib*.cpp; do
        [ -f "$src" ] || continue
        build_lib "$src" || ok=0
    done
    for lib in "${!NEEDS[@]}"; do
        src=$dir/$lib.c; [ -f "$src" ] || src=$dir/$lib.cpp
        build_lib "$src" ${NEEDS[$lib]} || ok=0
    done
    if [[ $main_src == *.cpp ]]; then cmd=("$CXX" $(cxxflags)); else cmd=("$CC" $CFLAGS); fi
    cmd+=("${CASE_FLAGS[@]}" -I"$dir" -rdynamic -o main "$main_src")
    [ ${#MAIN_NEEDS[@]} -gt 0 ] && cmd+=(-L. -Wl,--no-as-needed $(lflags "${MAIN_NEEDS[@]}"))
    cmd+=(-ldl)
    echo "+ ${cmd[*]}" >>"$log"
    (cd "$build" && "${cmd[@]}") >>"$log" 2>&1 || ok=0
    if [ $ok = 0 ]; then
        echo "FAIL $name: build failed"; sed 's/^/    /' "$log"
        fail=$((fail + 1)); failed+=("$name"); continue
    fi

    (cd "$build" && LD_LIBRARY_PATH=. timeout "$TIMEOUT" ./main "${ARGS[@]}" >stdout 2>stderr)
    status=$?
    problems=()
    diff -u "$dir/expected" "$build/stdout" >"$build/stdout.diff" || problems+=("stdout differs")
    [ "$status" = "$EXIT_CODE" ] || problems+=("exit status $status, expected $EXIT_CODE")
    if [ "$CHECK_STDERR" = 1 ]; then
        diff -u "$dir/expected_stderr" "$build/stderr" >"$build/stderr.diff" || problems+=("stderr differs")
    fi
    if [ ${#problems[@]} = 0 ]; then
        echo "ok   $name"; pass=$((pass + 1))
        [ "${VERBOSE:-0}" = 1 ] && grep -v '^+ ' "$log" | sed 's/^/    /'
        [ "${KEEP:-0}" = 1 ] || rm -rf "$build"
    else
        echo "FAIL $name: $(IFS=';'; echo "${problems[*]}") (build dir $build)"
        sed 's/^/    /' "$build/stdout.diff"
        [ "$CHECK_STDERR" = 1 ] && sed 's/^/    /' "$build/stderr.diff"
        echo "    --- stderr:"; head -20 "$build/stderr" | sed 's/^/    /'
        fail=$((fail + 1)); failed+=("$name")
    fi
done

echo
echo "native: $pass passed, $fail failed, $skip skipped (of ${#names[@]})"
[ $fail = 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
