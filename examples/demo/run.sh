#!/usr/bin/env bash
# make demo: builds textkit and its plugins with `wasi-dl cc`, then runs it under `wasi-dl run`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src="$root/examples/demo"
out="$root/target/demo"
wasi_dl="$root/target/debug/wasi-dl"
mkdir -p "$out/plugins"

echo "== building textkit.wasm (the program) and its plugins (side modules) with wasi-dl cc"
"$wasi_dl" cc -O2 -I"$src" "$src/textkit.c" -o "$out/textkit.wasm"
for plugin in "$src"/plugins/*.c; do
    name=$(basename "$plugin" .c)
    "$wasi_dl" cc -O2 -fPIC -shared "$plugin" -o "$out/plugins/lib$name.so"
done
ls -l "$out/textkit.wasm" "$out"/plugins/*.so | awk '{print "   " $5 "\t" $NF}'

cat <<'TXT'

== running: wasi-dl run --dir target/demo::/demo textkit.wasm /demo/plugins
   textkit lists /demo/plugins with readdir, dlopens each libNAME.so, finds the plugin's
   description with dlsym, and calls its transform function through a function pointer.
   Each plugin's data lives in textkit's own memory and its functions in textkit's own table;
   plugins call libc (toupper, qsort, snprintf) and the program (textkit_note) by name.

TXT
"$wasi_dl" run --dir "$out::/demo" "$out/textkit.wasm" /demo/plugins "${@:-The quick brown fox jumps over the lazy dog}"
