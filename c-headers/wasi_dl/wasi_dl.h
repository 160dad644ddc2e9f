/*
 * wasi_dl.h: the raw `wasi_dl` imports a guest uses to ask its host to load
 * side modules. This header and host/witx/wasi_dl.witx describe the same ABI;
 * the guest library's Rust bindings are generated from this file with bindgen.
 *
 * Programs use <dlfcn.h>; only the guest library calls these directly.
 */
#ifndef WASI_DL_WASI_DL_H
#define WASI_DL_WASI_DL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every import returns one of these; on failure the host keeps the message. */
typedef uint16_t __wasi_dl_errno_t;
#define __WASI_DL_ERRNO_SUCCESS 0 /* no error */
#define __WASI_DL_ERRNO_FAULT 1   /* bad guest pointer/length, or a string that is not UTF-8 */
#define __WASI_DL_ERRNO_INVAL 2   /* invalid argument (unknown flag bits, empty name) */
#define __WASI_DL_ERRNO_NOENT 3   /* library not found in the allowed locations */
#define __WASI_DL_ERRNO_NOEXEC 4  /* not a usable side module */
#define __WASI_DL_ERRNO_BADF 5    /* unknown, forged or closed handle */
#define __WASI_DL_ERRNO_NOSYM 6   /* symbol not defined in the searched scope */
#define __WASI_DL_ERRNO_LIMIT 7   /* a configured limit would be exceeded */
#define __WASI_DL_ERRNO_LINK 8    /* an import could not be resolved, or has the wrong type */
#define __WASI_DL_ERRNO_INIT 9    /* instantiation, relocation or a constructor trapped */
#define __WASI_DL_ERRNO_NOMEM 10  /* the guest allocator could not provide the library's data */
#define __WASI_DL_ERRNO_ACCESS 11 /* path outside what the embedder allows */
#define __WASI_DL_ERRNO_IO 12     /* reading the library failed */

/* A loaded library. Never 0 (RTLD_DEFAULT) nor 0xffffffff (RTLD_NEXT). */
typedef uint32_t __wasi_dl_handle_t;
#define __WASI_DL_HANDLE_DEFAULT ((__wasi_dl_handle_t)0)
#define __WASI_DL_HANDLE_NEXT ((__wasi_dl_handle_t)0xffffffffu)

/* open flags: musl's RTLD_* values. */
typedef uint32_t __wasi_dl_open_flags_t;
#define __WASI_DL_OPEN_FLAGS_LAZY ((__wasi_dl_open_flags_t)0x001)
#define __WASI_DL_OPEN_FLAGS_NOW ((__wasi_dl_open_flags_t)0x002)
#define __WASI_DL_OPEN_FLAGS_NOLOAD ((__wasi_dl_open_flags_t)0x004)
#define __WASI_DL_OPEN_FLAGS_DEEPBIND ((__wasi_dl_open_flags_t)0x008)
#define __WASI_DL_OPEN_FLAGS_GLOBAL ((__wasi_dl_open_flags_t)0x100)
#define __WASI_DL_OPEN_FLAGS_NODELETE ((__wasi_dl_open_flags_t)0x1000)

/* What a symbol's value means. */
typedef uint8_t __wasi_dl_symbol_kind_t;
#define __WASI_DL_SYMBOL_KIND_FUNCTION 0 /* an index into the function table */
#define __WASI_DL_SYMBOL_KIND_DATA 1     /* an address in linear memory */

/* What `addr` found (Dl_info without the strings). */
typedef struct __wasi_dl_addr_info_t {
    __wasi_dl_handle_t handle;
    uint32_t base;
    uint32_t symbol_value;
    uint32_t name_len;
    uint32_t symbol_name_len;
} __wasi_dl_addr_info_t;

#define __WASI_DL_IMPORT(name) \
    __attribute__((__import_module__("wasi_dl"), __import_name__(name)))

/* Open a library; an empty path opens the main program. `caller` is an
 * address inside the calling module (its __dso_handle). */
__wasi_dl_errno_t __wasi_dl_open(const char *path, size_t path_len,
                                 __wasi_dl_open_flags_t flags, uint32_t caller,
                                 __wasi_dl_handle_t *handle_out)
    __WASI_DL_IMPORT("open");

/* Look a symbol up; handle 0 is RTLD_DEFAULT, 0xffffffff RTLD_NEXT. */
__wasi_dl_errno_t __wasi_dl_sym(__wasi_dl_handle_t handle, const char *name,
                                size_t name_len, uint32_t caller,
                                __wasi_dl_symbol_kind_t *kind_out,
                                uint32_t *value_out)
    __WASI_DL_IMPORT("sym");

/* Drop one reference; at zero the library's destructors run and it unloads. */
__wasi_dl_errno_t __wasi_dl_close(__wasi_dl_handle_t handle)
    __WASI_DL_IMPORT("close");

/* Copy the last error's text (not NUL-terminated, truncated to buf_len) and
 * store its full length in *len_out (0: no error yet). */
__wasi_dl_errno_t __wasi_dl_last_error(uint8_t *buf, uint32_t buf_len,
                                       uint32_t *len_out)
    __WASI_DL_IMPORT("last_error");

/* Ask the host to keep the loader's generation in *generation (a static): it
 * stores it now and at the start and end of every open and close. While it
 * stays the same, an earlier sym answer for the same handle, name and caller
 * still holds. */
__wasi_dl_errno_t __wasi_dl_watch(uint64_t *generation)
    __WASI_DL_IMPORT("watch");

/* At exit, after every exit handler: run the pending destructors of every
 * loaded library in glibc's _dl_fini order. Nothing is unloaded. */
__wasi_dl_errno_t __wasi_dl_fini(void) __WASI_DL_IMPORT("fini");

/* The libraries the program was linked against ('\n'-separated, link order):
 * loaded as one group before its constructors, as NEEDED entries are. */
__wasi_dl_errno_t __wasi_dl_open_needed(const char *names, size_t names_len)
    __WASI_DL_IMPORT("open_needed");

/* The program's own RUNPATH (its -rpath directories, ':'-separated, $ORIGIN
 * unexpanded): searched after LD_LIBRARY_PATH for the names it opens. */
__wasi_dl_errno_t __wasi_dl_program_runpath(const char *paths, size_t paths_len)
    __WASI_DL_IMPORT("program_runpath");

/* Map an address (data address or table index) to library + nearest symbol. */
__wasi_dl_errno_t __wasi_dl_addr(uint32_t address, uint8_t *name_buf,
                                 uint32_t name_buf_len, uint8_t *symbol_buf,
                                 uint32_t symbol_buf_len,
                                 __wasi_dl_addr_info_t *info_out)
    __WASI_DL_IMPORT("addr");

#undef __WASI_DL_IMPORT

#ifdef __cplusplus
}
#endif

#endif /* WASI_DL_WASI_DL_H */
