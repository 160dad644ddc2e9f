/*
 * <dlfcn.h> for WebAssembly programs on wasi-dl: POSIX dynamic loading with
 * musl's RTLD_* values (wasi-libc is musl-based).
 */
#ifndef _DLFCN_H
#define _DLFCN_H

#ifdef __cplusplus
extern "C" {
#endif

#define RTLD_LAZY 1
#define RTLD_NOW 2
#define RTLD_NOLOAD 4
#define RTLD_NODELETE 4096
#define RTLD_GLOBAL 256
#define RTLD_LOCAL 0

#define RTLD_BINDING_MASK 3
/* Accepted, and ignored: a library's own definitions are not preferred over
 * the global scope (README, Limits). */
#define RTLD_DEEPBIND 8

#define RTLD_NEXT ((void *)-1)
#define RTLD_DEFAULT ((void *)0)

/* Link-map namespaces: only the base one exists. */
typedef long int Lmid_t;
#define LM_ID_BASE 0
#define LM_ID_NEWLM (-1)

/* dlinfo requests (glibc's values). wasi-dl answers RTLD_DI_LMID; the others
 * fail with a dlerror message. */
enum {
    RTLD_DI_LMID = 1,
    RTLD_DI_LINKMAP = 2,
    RTLD_DI_CONFIGADDR = 3,
    RTLD_DI_SERINFO = 4,
    RTLD_DI_SERINFOSIZE = 5,
    RTLD_DI_ORIGIN = 6,
    RTLD_DI_PROFILENAME = 7,
    RTLD_DI_PROFILEOUT = 8,
    RTLD_DI_TLS_MODID = 9,
    RTLD_DI_TLS_DATA = 10,
    RTLD_DI_PHDR = 11,
    RTLD_DI_MAX = 11
};

typedef struct {
    const char *dli_fname; /* name of the library (or program) holding the address */
    void *dli_fbase;       /* base of its data block */
    const char *dli_sname; /* nearest symbol at or below the address, or NULL */
    void *dli_saddr;       /* that symbol's value, or NULL */
} Dl_info;
typedef Dl_info Dl_info_t; /* POSIX.1-2024 spelling */

int dlclose(void *handle);
char *dlerror(void);
int dladdr(const void *addr, Dl_info *info);
/* GNU extensions. dlmopen knows only LM_ID_BASE; dlvsym ignores the version
 * (side modules have no symbol versions, and glibc accepts an unversioned
 * definition for any version). */
void *dlmopen(Lmid_t lmid, const char *file, int mode);
int dlinfo(void *__restrict handle, int request, void *__restrict arg);

/*
 * A wasm module cannot see who called it, so the loader learns the calling
 * library from an address inside it: its own __dso_handle. That is what makes
 * RTLD_NEXT, RTLD_DEFAULT's local scope and $ORIGIN / RUNTIME_PATH work.
 * Direct calls go through the macros below. `dlopen`, `dlsym` and `dlvsym`
 * named without a call (a function pointer, `(dlsym)(...)`) are this module's
 * own hidden copies (every module that includes this header gets one), so a
 * call through such a pointer still names the module that took it, as glibc's
 * return-address rule does. The program's exported dlopen/dlsym (for code that
 * declares them itself) speak for the program.
 */
extern char __dso_handle[] __attribute__((__visibility__("hidden")));
void *__wasi_dl_open_from(const char *file, int mode, const void *caller);
void *__wasi_dl_sym_from(void *__restrict handle, const char *__restrict name,
                         const void *caller);
void *dlopen(const char *file, int mode) __asm__("__wasi_dl_open_here");
void *dlsym(void *__restrict handle, const char *__restrict name) __asm__("__wasi_dl_sym_here");
void *dlvsym(void *__restrict handle, const char *__restrict name,
             const char *__restrict version) __asm__("__wasi_dl_vsym_here");
__attribute__((__weak__, __visibility__("hidden"))) void *dlopen(const char *file, int mode)
{
    return __wasi_dl_open_from(file, mode, __dso_handle);
}
__attribute__((__weak__, __visibility__("hidden"))) void *dlsym(void *__restrict handle,
                                                                const char *__restrict name)
{
    return __wasi_dl_sym_from(handle, name, __dso_handle);
}
__attribute__((__weak__, __visibility__("hidden"))) void *dlvsym(void *__restrict handle,
                                                                 const char *__restrict name,
                                                                 const char *__restrict version)
{
    (void)version;
    return __wasi_dl_sym_from(handle, name, __dso_handle);
}
#define dlopen(file, mode) __wasi_dl_open_from((file), (mode), __dso_handle)
#define dlsym(handle, name) __wasi_dl_sym_from((handle), (name), __dso_handle)
#define dlmopen(lmid, file, mode) \
    ((lmid) == LM_ID_BASE ? __wasi_dl_open_from((file), (mode), __dso_handle) \
                          : dlmopen((lmid), (file), (mode)))
#define dlvsym(handle, name, version) \
    ((void)(version), __wasi_dl_sym_from((handle), (name), __dso_handle))

#ifdef __cplusplus
}
#endif

#endif /* _DLFCN_H */
