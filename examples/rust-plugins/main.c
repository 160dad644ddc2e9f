/*
 * A C program that loads the Rust plugin libhello.so (hello/, built with
 * `wasi-dl cargo build --release`), checks its descriptor with
 * <wasi_dl/plugin.h>, calls it, closes and reopens it.
 *
 *   wasi-dl cc -O2 main.c -o main.wasm
 *   wasi-dl run --dir DIR main.wasm /DIR/libhello.so         # the tour below
 *   wasi-dl run --dir DIR main.wasm /DIR/libhello.so panic   # the plugin panics: exit 134
 *
 * stdout is a pipe in the tests, so this program's printf output is fully
 * buffered, while the plugin writes through its own Rust stdout: the lines
 * below come out in program order only because every entry point of the
 * plugin flushes the program's streams first and its own last.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <wasi_dl/plugin.h>

typedef int (*add_fn)(int, int);
typedef unsigned (*greet_fn)(const char *);
typedef unsigned (*count_fn)(const char *);
typedef size_t (*decimal_fn)(unsigned long long, char *, size_t);
typedef int (*panic_fn)(int);

static int tour(const char *path, int round) {
    void *lib = dlopen(path, RTLD_NOW);
    if (!lib) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    const char *why = NULL;
    const struct wasi_dl_plugin *p = wasi_dl_plugin_open(lib, &why);
    if (!p) {
        printf("plugin: %s\n", why);
        dlclose(lib);
        return 1;
    }
    printf("round %d: plugin %s %s, %u entry points\n", round, p->name, p->version,
           (unsigned)p->entry_count);
    if (round == 1)
        for (uint32_t i = 0; i < p->entry_count; i++)
            printf("  %s: %s\n", p->entries[i].name, p->entries[i].signature_text);

    add_fn add = (add_fn)wasi_dl_plugin_entry(p, "hello_add");
    greet_fn greet = (greet_fn)wasi_dl_plugin_entry(p, "hello_greet");
    /* Entry points are ordinary symbols too. */
    count_fn count = (count_fn)dlsym(lib, "hello_count_words");
    decimal_fn decimal = (decimal_fn)dlsym(lib, "hello_decimal");
    if (!add || !greet || !count || !decimal) {
        printf("missing entry point\n");
        return 1;
    }
    printf("add(40, 2) = %d\n", add(40, 2));
    /* A partial line of ours, then the plugin's partial line, then ours again. */
    printf("greet: [");
    unsigned n = greet("C");
    printf("] greeting %u\n", n);
    printf("greet: [");
    n = greet("again");
    printf("] greeting %u\n", n);
    unsigned distinct = count("the cat and the hat and the bat");
    printf("distinct words: %u\n", distinct);
    char digits[32];
    size_t len = decimal(18446744073709551615ull, digits, sizeof digits);
    printf("decimal: %s (%zu digits)\n", digits, len);
    if (dlclose(lib) != 0) {
        printf("dlclose: %s\n", dlerror());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "libhello.so";
    if (argc > 2 && strcmp(argv[2], "panic") == 0) {
        void *lib = dlopen(path, RTLD_NOW);
        panic_fn boom = lib ? (panic_fn)dlsym(lib, "hello_panic") : NULL;
        if (!boom) {
            printf("dlopen/dlsym: %s\n", dlerror());
            return 1;
        }
        printf("calling hello_panic(0): %d\n", boom(0));
        printf("calling hello_panic(7)\n");
        boom(7);
        printf("not reached\n");
        return 1;
    }
    /* The second round runs in a fresh load: the greeting count starts again. */
    for (int round = 1; round <= 2; round++)
        if (tour(path, round) != 0)
            return 1;
    printf("done\n");
    return 0;
}
