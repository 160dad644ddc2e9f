//! The functions of `<dlfcn.h>`, with C linkage.
//!
//! C programs reach them through `libwasi_dl.a`; side modules import them from
//! the main program (which exports them). `<dlfcn.h>` turns `dlopen`/`dlsym`
//! calls into [`__wasi_dl_open_from`]/[`__wasi_dl_sym_from`] with the caller's
//! `__dso_handle`; the plain [`dlopen`]/[`dlsym`] pass caller 0, which the host
//! takes as the main program.
//!
//! `dlerror` state is process-wide (wasm32-wasip1 programs have one thread).
//! The Rust API ([`Library`](crate::Library)) returns its errors instead and
//! leaves this state alone.

use std::ffi::{c_char, c_int, c_long, c_void, CStr, CString};
use std::ptr;
use std::sync::{Mutex, PoisonError};

use crate::error::Error;
use crate::imp;
use crate::sys;

pub use crate::sys::Dl_info;
pub use crate::sys::{RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NODELETE, RTLD_NOLOAD, RTLD_NOW};

/// `RTLD_DEFAULT`: search the main program and the global libraries.
pub const RTLD_DEFAULT: *mut c_void =
    ptr::without_provenance_mut(sys::WASI_DL_HANDLE_DEFAULT as usize);
/// `RTLD_NEXT`: search the libraries after the caller's.
pub const RTLD_NEXT: *mut c_void = ptr::without_provenance_mut(sys::WASI_DL_HANDLE_NEXT as usize);

struct DlErrorState {
    /// The last error not yet returned by `dlerror`.
    pending: Option<CString>,
    /// What the last `dlerror` returned: valid until the next `dlerror` call.
    returned: Option<CString>,
}

static DLERROR: Mutex<DlErrorState> = Mutex::new(DlErrorState {
    pending: None,
    returned: None,
});

/// Sets the `dlerror` text (for the start-up code's loading, in `contract`).
pub(crate) fn set_dlerror_from(error: &Error) {
    set_dlerror(error);
}

fn set_dlerror(error: &Error) {
    let text = imp::to_cstring(error.message().as_bytes());
    // The old text is freed after the lock is released: the less runs under it, the less a
    // trap can cut short there (a trap abandons the guard, and the lock stays taken).
    let old = DLERROR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pending
        .replace(text);
    drop(old);
}

/// Discards an error nobody read. glibc does this at the start of every `dlopen`, `dlsym`,
/// `dlclose`, `dlinfo` and `dlmopen` (not `dladdr`), so `dlerror()` after a call that
/// succeeded is NULL; a failure inside a nested call (a constructor's) stays for the reader.
fn clear_dlerror() {
    let old = DLERROR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pending
        .take();
    drop(old);
}

/// A wasm address as the u32 the ABI uses (pointers are 32-bit on wasm32).
fn addr_u32<T>(p: *const T) -> u32 {
    p as usize as u32
}

/// The bytes of a C string.
///
/// # Safety
/// `s` must be NULL or point to a NUL-terminated string.
unsafe fn c_bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    if s.is_null() {
        None
    } else {
        // SAFETY: the caller's contract.
        Some(unsafe { CStr::from_ptr(s) }.to_bytes())
    }
}

/// `dlopen(file, mode)` on behalf of the module that contains `caller`.
///
/// # Safety
/// `file` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_open_from(
    file: *const c_char,
    mode: c_int,
    caller: *const c_void,
) -> *mut c_void {
    clear_dlerror();
    // SAFETY: the caller's contract. NULL means the main program: an empty path.
    let path = unsafe { c_bytes(file) }.unwrap_or(b"");
    match imp::open(path, mode as u32, addr_u32(caller)) {
        Ok(Some(handle)) => ptr::without_provenance_mut(handle as usize),
        Ok(None) => ptr::null_mut(),
        Err(e) => {
            set_dlerror(&e);
            ptr::null_mut()
        }
    }
}

/// `dlsym(handle, name)` on behalf of the module that contains `caller`.
/// Returns the symbol's value: a table index for a function, an address for
/// data. A missing symbol returns NULL and sets `dlerror`; NULL with no error
/// is a weak symbol that nobody defines.
///
/// # Safety
/// `name` must be a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_sym_from(
    handle: *mut c_void,
    name: *const c_char,
    caller: *const c_void,
) -> *mut c_void {
    clear_dlerror();
    // SAFETY: the caller's contract.
    let Some(name) = (unsafe { c_bytes(name) }) else {
        set_dlerror(&Error::local("dlsym: the symbol name is NULL".into()));
        return ptr::null_mut();
    };
    match imp::sym(addr_u32(handle), name, addr_u32(caller)) {
        Ok((_kind, value)) => ptr::without_provenance_mut(value as usize),
        Err(e) => {
            set_dlerror(&e);
            ptr::null_mut()
        }
    }
}

/// POSIX `dlopen`, called from the main program (or through a pointer).
///
/// # Safety
/// As [`__wasi_dl_open_from`].
#[no_mangle]
pub unsafe extern "C" fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { __wasi_dl_open_from(file, mode, ptr::null()) }
}

/// POSIX `dlsym`, called from the main program (or through a pointer).
///
/// # Safety
/// As [`__wasi_dl_sym_from`].
#[no_mangle]
pub unsafe extern "C" fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { __wasi_dl_sym_from(handle, name, ptr::null()) }
}

/// POSIX `dlclose`: 0 on success; -1 (and `dlerror` set) on failure.
///
/// # Safety
/// The library's code and data are gone afterwards: no pointer into it may be
/// used again.
#[no_mangle]
pub unsafe extern "C" fn dlclose(handle: *mut c_void) -> c_int {
    clear_dlerror();
    match imp::close(addr_u32(handle)) {
        Ok(()) => 0,
        Err(e) => {
            set_dlerror(&e);
            -1
        }
    }
}

/// POSIX `dlerror`: the text of the last error since the previous call, or
/// NULL. The text stays valid until the next call.
#[no_mangle]
pub extern "C" fn dlerror() -> *mut c_char {
    let mut state = DLERROR.lock().unwrap_or_else(PoisonError::into_inner);
    // The previous text is freed only now, as POSIX allows, and after the lock is released.
    let pending = state.pending.take();
    let old = std::mem::replace(&mut state.returned, pending);
    let text = match &state.returned {
        Some(text) => text.as_ptr().cast_mut(),
        None => ptr::null_mut(),
    };
    drop(state);
    drop(old);
    text
}

/// `dlmopen(lmid, file, mode)`: only the base namespace exists, so
/// `LM_ID_BASE` is `dlopen`; any other namespace fails.
///
/// # Safety
/// As [`dlopen`].
#[no_mangle]
pub unsafe extern "C" fn dlmopen(lmid: c_long, file: *const c_char, mode: c_int) -> *mut c_void {
    if lmid != 0 {
        clear_dlerror();
        set_dlerror(&Error::local(format!(
            "dlmopen: namespace {lmid}: only LM_ID_BASE is supported"
        )));
        return ptr::null_mut();
    }
    // SAFETY: same contract.
    unsafe { __wasi_dl_open_from(file, mode, ptr::null()) }
}

/// `dlvsym(handle, name, version)`: `dlsym`, whatever the version (side
/// modules have no symbol versions; glibc accepts an unversioned definition
/// for any version).
///
/// # Safety
/// As [`dlsym`]; `version` is not read.
#[no_mangle]
pub unsafe extern "C" fn dlvsym(
    handle: *mut c_void,
    name: *const c_char,
    _version: *const c_char,
) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { __wasi_dl_sym_from(handle, name, ptr::null()) }
}

/// `RTLD_DI_LMID` (glibc's value): the library's namespace.
const RTLD_DI_LMID: c_int = 1;

/// `dlinfo(handle, request, arg)`: `RTLD_DI_LMID` stores `LM_ID_BASE`; other
/// requests fail (-1) with a `dlerror` message.
///
/// # Safety
/// For `RTLD_DI_LMID`, `arg` must point to a writable `Lmid_t`.
#[no_mangle]
pub unsafe extern "C" fn dlinfo(handle: *mut c_void, request: c_int, arg: *mut c_void) -> c_int {
    let _ = handle;
    clear_dlerror();
    match request {
        RTLD_DI_LMID if !arg.is_null() => {
            // SAFETY: the caller's contract.
            unsafe { arg.cast::<c_long>().write(0) };
            0
        }
        _ => {
            set_dlerror(&Error::local(format!(
                "dlinfo: request {request} is not supported by wasi-dl"
            )));
            -1
        }
    }
}

/// `dladdr`: non-zero and `*info` filled if `addr` (a data address or a
/// function pointer, i.e. a table index) lies in the program or a loaded
/// library; 0 otherwise. As glibc's, it neither sets nor clears the `dlerror`
/// state (a pending error stays for the reader). The strings stay valid for
/// the rest of the program. `dli_sname`/`dli_saddr` are NULL when no symbol is
/// at or below the address.
///
/// # Safety
/// `info` must be NULL or point to a writable `Dl_info`.
#[no_mangle]
pub unsafe extern "C" fn dladdr(addr: *const c_void, info: *mut Dl_info) -> c_int {
    if info.is_null() {
        return 0;
    }
    match imp::addr(addr_u32(addr)) {
        Ok(found) => {
            let out = Dl_info {
                dli_fname: found.file.as_ptr(),
                dli_fbase: ptr::without_provenance_mut(found.base as usize),
                dli_sname: found.symbol.map_or(ptr::null(), |s| s.as_ptr()),
                dli_saddr: ptr::without_provenance_mut(found.symbol_value as usize),
            };
            // SAFETY: the caller's contract.
            unsafe { info.write(out) };
            1
        }
        Err(_) => 0,
    }
}
