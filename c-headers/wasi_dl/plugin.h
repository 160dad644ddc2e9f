/*
 * <wasi_dl/plugin.h>: loading a Rust plugin (a side module built with
 * `wasi-dl cargo build` whose entry points were exported with the
 * wasi-dl-plugin crate's export_plugin!) from a C program.
 *
 * The plugin's functions are ordinary C functions: dlsym() finds each by its
 * name. The descriptor tells what the plugin is and checks that it was built
 * for this ABI; the layout here is the Rust crate's (wasi_dl_plugin::Descriptor
 * and Entry, #[repr(C)]), and WASI_DL_PLUGIN_ABI_VERSION is its ABI_VERSION.
 *
 *     void *lib = dlopen("libhello.so", RTLD_NOW);
 *     const char *why;
 *     const struct wasi_dl_plugin *p = wasi_dl_plugin_open(lib, &why);
 *     if (!p) { fprintf(stderr, "%s\n", why); return 1; }
 *     int (*add)(int, int) = (int (*)(int, int))wasi_dl_plugin_entry(p, "hello_add");
 *
 * C cannot check an entry point's type: the descriptor's signature_text says
 * what the plugin declared (e.g. "extern \"C\" fn(i32, i32) -> i32").
 */
#ifndef WASI_DL_PLUGIN_H
#define WASI_DL_PLUGIN_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The data symbol that holds a plugin's descriptor. */
#define WASI_DL_PLUGIN_SYMBOL "__wasi_dl_plugin"
/* "WDLP" in memory order. */
#define WASI_DL_PLUGIN_MAGIC 0x504c4457u
/* The descriptor layout this header describes. */
#define WASI_DL_PLUGIN_ABI_VERSION 1u

struct wasi_dl_plugin_entry {
    const char *name;           /* also its exported symbol */
    const char *signature_text; /* its Rust type, as written in the plugin */
    uint64_t signature;         /* a hash of that type (checked by the Rust loader) */
    void (*function)(void);
};

struct wasi_dl_plugin {
    uint32_t magic;       /* WASI_DL_PLUGIN_MAGIC */
    uint32_t abi_version; /* WASI_DL_PLUGIN_ABI_VERSION */
    const char *name;     /* the plugin crate's name */
    const char *version;  /* the plugin crate's version */
    uint32_t entry_count;
    const struct wasi_dl_plugin_entry *entries;
};

/*
 * The descriptor of the library `handle` (from dlopen), or NULL with *why
 * (if why is not NULL) set to a static text: not a plugin, or a plugin of
 * another ABI version. The descriptor lives until the library is closed.
 */
static inline const struct wasi_dl_plugin *wasi_dl_plugin_open(void *handle, const char **why) {
    const struct wasi_dl_plugin *p =
        (const struct wasi_dl_plugin *)dlsym(handle, WASI_DL_PLUGIN_SYMBOL);
    const char *reason = NULL;
    if (!p)
        reason = "not a wasi-dl plugin (no " WASI_DL_PLUGIN_SYMBOL " symbol)";
    else if (p->magic != WASI_DL_PLUGIN_MAGIC)
        reason = "not a wasi-dl plugin (bad magic number)";
    else if (p->abi_version != WASI_DL_PLUGIN_ABI_VERSION)
        reason = "wasi-dl plugin of another ABI version: rebuild it against this wasi-dl";
    if (reason) {
        if (why)
            *why = reason;
        return NULL;
    }
    return p;
}

/* The entry point `name` of a plugin, or NULL if it has none of that name. */
static inline void (*wasi_dl_plugin_entry(const struct wasi_dl_plugin *p, const char *name))(void) {
    for (uint32_t i = 0; i < p->entry_count; i++)
        if (strcmp(p->entries[i].name, name) == 0)
            return p->entries[i].function;
    return NULL;
}

#ifdef __cplusplus
}
#endif

#endif
