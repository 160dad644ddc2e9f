/*
 * Input to bindgen (see build.rs): everything the guest library takes from the
 * project's C headers, so that the C and Rust faces cannot drift apart.
 *
 * bindgen evaluates plain integer macros itself but skips macros with casts,
 * such as `((__wasi_dl_handle_t)0xffffffffu)`; the typed constants below are
 * evaluated by clang instead. The static assertions check that the two headers
 * agree with each other (a failed assertion fails the build).
 */
#include <wasi_dl/wasi_dl.h>
#include <dlfcn.h>

static const __wasi_dl_handle_t WASI_DL_HANDLE_DEFAULT = __WASI_DL_HANDLE_DEFAULT;
static const __wasi_dl_handle_t WASI_DL_HANDLE_NEXT = __WASI_DL_HANDLE_NEXT;

_Static_assert(RTLD_LAZY == __WASI_DL_OPEN_FLAGS_LAZY, "RTLD_LAZY");
_Static_assert(RTLD_NOW == __WASI_DL_OPEN_FLAGS_NOW, "RTLD_NOW");
_Static_assert(RTLD_NOLOAD == __WASI_DL_OPEN_FLAGS_NOLOAD, "RTLD_NOLOAD");
_Static_assert(RTLD_DEEPBIND == __WASI_DL_OPEN_FLAGS_DEEPBIND, "RTLD_DEEPBIND");
_Static_assert(RTLD_GLOBAL == __WASI_DL_OPEN_FLAGS_GLOBAL, "RTLD_GLOBAL");
_Static_assert(RTLD_NODELETE == __WASI_DL_OPEN_FLAGS_NODELETE, "RTLD_NODELETE");
_Static_assert(RTLD_LOCAL == 0, "RTLD_LOCAL");
_Static_assert((__wasi_dl_handle_t)(__UINTPTR_TYPE__)RTLD_DEFAULT == __WASI_DL_HANDLE_DEFAULT,
               "RTLD_DEFAULT");
_Static_assert((__wasi_dl_handle_t)(__UINTPTR_TYPE__)RTLD_NEXT == __WASI_DL_HANDLE_NEXT,
               "RTLD_NEXT");
/* The addr_info record is five u32s in the witx. */
_Static_assert(sizeof(__wasi_dl_addr_info_t) == 20, "addr_info size");
