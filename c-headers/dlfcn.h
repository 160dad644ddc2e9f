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

#define RTLD_NEXT ((void *)-1)
#define RTLD_DEFAULT ((void *)0)

typedef struct {
    const char *dli_fname; /* name of the library (or program) holding the address */
    void *dli_fbase;       /* base of its data block */
    const char *dli_sname; /* nearest symbol at or below the address, or NULL */
    void *dli_saddr;       /* that symbol's value, or NULL */
} Dl_info;
typedef Dl_info Dl_info_t; /* POSIX.1-2024 spelling */

int dlclose(void *handle);
char *dlerror(void);
void *dlopen(const char *file, int mode);
void *dlsym(void *__restrict handle, const char *__restrict name);
int dladdr(const void *addr, Dl_info *info);

/*
 * A wasm module cannot see who called it, so the loader learns the calling
 * library from an address inside it: its own __dso_handle. That is what makes
 * RTLD_NEXT and a library's RUNTIME_PATH ($ORIGIN) work. The plain functions
 * above stay available (for function pointers); calls go through these.
 */
extern char __dso_handle[] __attribute__((__visibility__("hidden")));
void *__wasi_dl_open_from(const char *file, int mode, const void *caller);
void *__wasi_dl_sym_from(void *__restrict handle, const char *__restrict name,
                         const void *caller);
#define dlopen(file, mode) __wasi_dl_open_from((file), (mode), __dso_handle)
#define dlsym(handle, name) __wasi_dl_sym_from((handle), (name), __dso_handle)

#ifdef __cplusplus
}
#endif

#endif /* _DLFCN_H */
