/*
 * libgreet.so: the side module the rust-loader example loads.
 *
 * Build (a side module; see docs/DESIGN.md "Side modules"):
 *   clang-19 --target=wasm32-wasi -O2 -fPIC -fvisibility=default -shared -nostdlib \
 *     -Wl,--no-entry -Wl,--unresolved-symbols=import-dynamic \
 *     -Wl,--export=__wasm_call_ctors libgreet.c -o libgreet.so
 *
 * It uses no libc, so it needs nothing from the program but
 * rust_loader_note (and __cxa_atexit, which the host resolves to the
 * program's __wasi_dl_cxa_atexit), and it exercises what a loader must get
 * right: a data relocation (the string pointer below), a constructor, a
 * destructor that must run at dlclose, a function and a data symbol.
 */

/* Defined and exported by the rust-loader program. */
void rust_loader_note(const char *what);

/* A data symbol: how often greet() was called. */
int greet_calls;

/* Set by the constructor: an address that needs relocating at load time. */
static const char *greeting;

__attribute__((constructor)) static void greet_init(void) {
    greeting = "Hello";
    rust_loader_note("libgreet: constructor");
}

__attribute__((destructor)) static void greet_fini(void) {
    rust_loader_note("libgreet: destructor");
}

/*
 * Writes "<greeting>, <name>!" to out (cut to cap - 1 bytes, NUL-terminated
 * when cap > 0) and returns the full length, like snprintf.
 */
int greet(const char *name, char *out, int cap) {
    const char *parts[3] = {greeting ? greeting : "(no constructor ran)", ", ", name};
    int len = 0;
    greet_calls++;
    for (int p = 0; p < 4; p++) {
        const char *s = p < 3 ? parts[p] : "!";
        for (; *s; s++, len++) {
            if (len < cap - 1) {
                out[len] = *s;
            }
        }
    }
    if (cap > 0) {
        out[len < cap - 1 ? len : cap - 1] = '\0';
    }
    return len;
}
