/*
 * Start-up code for main programs that load side modules with wasi-dl.
 * Link with -nostartfiles and this object instead of wasi-libc's crt1.o
 * (installed as lib/crt1-wasi-dl.o in the wasi-dl sysroot).
 *
 * Why: a crt1 that does not call __wasm_call_ctors itself (Debian's does not)
 * makes wasm-ld wrap every exported function as NAME.command_export, running
 * constructors before and destructors after each call. The host calls the
 * program's exports (__wasi_dl_alloc, ...) while it runs, and side modules
 * use its functions through exports and through the table: wrappers would
 * rerun constructors, run atexit handlers mid-run, and give a function a
 * different funcref than its table entry. This _start calls
 * __wasm_call_ctors explicitly, so wasm-ld generates no wrappers.
 *
 * Also here: loading the side modules the program was linked against
 * (`wasi-dl cc ... -lfoo` with a wasm libfoo.so), before the program's
 * constructors, as the dynamic linker loads an executable's NEEDED libraries;
 * and the stack protector's symbols, which Debian's
 * libclang_rt.builtins-wasm32.a needs and Debian's wasi-libc lacks.
 * Compiled with -fno-stack-protector: _start changes the guard.
 * No headers: this must build with any wasm32 clang, sysroot or not.
 */

typedef __SIZE_TYPE__ size_t;
typedef __UINTPTR_TYPE__ uintptr_t;

void __wasm_call_ctors(void);
int __main_void(void);
_Noreturn void exit(int status);
int getentropy(void *buffer, size_t length);
int __wasi_dl_open_needed(const char *const *names);
char *dlerror(void);
size_t strlen(const char *s);
void __wasi_dl_promise_late_destructors(void);
void __wasi_dl_install_late_destructors(void);
long write(int fd, const void *buf, size_t count);

/*
 * The libraries the program was linked against, in link order, NULL-ended:
 * written by `wasi-dl cc` when its link line names side modules, absent
 * otherwise.
 */
extern const char *const __wasi_dl_needed[] __attribute__((weak));

/* The program's -rpath directories (':'-separated), written by `wasi-dl cc`
 * when its link line has any. */
extern const char __wasi_dl_rpath_list[] __attribute__((weak));
void __wasi_dl_use_runpath(const char *paths);

static void say(const char *text) {
    write(2, text, strlen(text));
}

/* wasi-libc's raw WASI calls and allocator: argv[0] before __main_void made argv. */
unsigned short __wasi_args_sizes_get(size_t *argc, size_t *argv_buf_size);
unsigned short __wasi_args_get(unsigned char **argv, unsigned char *argv_buf);
void *malloc(size_t size);

/* "PROG: ", as glibc's loader starts its messages (nothing when there is no argv[0]). */
static void say_program_name(void) {
    size_t argc = 0, size = 0;
    if (__wasi_args_sizes_get(&argc, &size) != 0 || argc == 0 || size == 0) {
        return;
    }
    unsigned char **argv = malloc(argc * sizeof *argv);
    unsigned char *buffer = malloc(size);
    if (argv && buffer && __wasi_args_get(argv, buffer) == 0 && argv[0][0]) {
        say((const char *)argv[0]);
        say(": ");
    }
}

static void load_needed(void) {
    if (__wasi_dl_rpath_list) {
        __wasi_dl_use_runpath(__wasi_dl_rpath_list);
    }
    if (!__wasi_dl_needed) {
        return;
    }
    /* One group, as the dynamic linker loads an executable's NEEDED entries:
     * in the global scope for good, functions bound at first call,
     * constructed dependencies first and then last-named first. */
    if (__wasi_dl_open_needed(__wasi_dl_needed) != 0) {
        const char *error = dlerror();
        say_program_name();
        say("error while loading shared libraries: ");
        say(error ? error : "(no message)");
        say("\n");
        /* glibc's loader's status. wasmtime-wasi's own proc_exit refuses
         * statuses above 125 (a trap that says so); `wasi-dl run` passes
         * every status through as natively. */
        exit(127);
    }
}

/*
 * Weak, so that a libc that defines them itself wins. A fixed value until
 * _start sets a random one (nothing protected runs before that).
 */
__attribute__((weak)) uintptr_t __stack_chk_guard = (uintptr_t)0x2d1e4f7bu;

__attribute__((weak, noreturn)) void __stack_chk_fail(void) {
    __builtin_trap();
}

/*
 * Part of the main-program contract (docs/DESIGN.md): grows the program's table
 * by `delta` null entries with wasm's own table.grow and returns its previous
 * size, or -1 when it cannot grow (its maximum, or the embedder's resource
 * limiter said no). The host reserves side modules' table slots through it:
 * the instruction fills the new entries at once, where wasmtime's host-side
 * Table::grow sets them one by one (a few hundred instructions each).
 */
__attribute__((export_name("__wasi_dl_table_grow"), target("reference-types")))
int __wasi_dl_table_grow(unsigned int delta) {
    int previous;
    __asm__ volatile(".tabletype __indirect_function_table, funcref\n"
                     "ref.null_func\n"
                     "local.get %1\n"
                     "table.grow __indirect_function_table\n"
                     "local.set %0"
                     : "=r"(previous)
                     : "r"(delta));
    return previous;
}

__attribute__((export_name("_start"))) void _start(void) {
    /* A command runs once per instance. */
    static volatile int started = 0;
    if (started) {
        __builtin_trap();
    }
    started = 1;

    uintptr_t guard;
    if (getentropy(&guard, sizeof guard) == 0 && guard != 0) {
        __stack_chk_guard = guard;
    }

    __wasi_dl_promise_late_destructors();
    load_needed();
    /* Registered before the program's constructors run, so it runs after every
     * exit handler and the program's destructors: libraries' destructors come
     * last. After load_needed, as glibc registers _dl_fini after the program's
     * NEEDED libraries are initialised (their atexit handlers run in their
     * finalization). */
    __wasi_dl_install_late_destructors();
    __wasm_call_ctors();
    /* wasi-libc's __main_void gets argc/argv and calls main (clang names an
     * `int main(void)` __main_void itself, so then that is called directly). */
    exit(__main_void());
}
