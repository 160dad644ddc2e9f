/* The C counterpart of examples/rust-plugins/hello for the timing: one entry point and a
 * descriptor, no standard library of its own. */
#include <wasi_dl/plugin.h>

int hello_add(int a, int b) { return a + b; }

static const struct wasi_dl_plugin_entry entries[] = {
    {"hello_add", "extern \"C\" fn(i32, i32) -> i32", 0, (void (*)(void))hello_add},
};

const struct wasi_dl_plugin __wasi_dl_plugin = {
    WASI_DL_PLUGIN_MAGIC, WASI_DL_PLUGIN_ABI_VERSION, "cplugin", "0.1.0", 1, entries,
};
