//! One small safe function per `wasi_dl` import. Everything above (the C
//! functions, the Rust API) goes through here.
//!
//! Nothing here holds a lock while calling the host: the host may call back
//! into the program (`__wasi_dl_alloc`, a library's constructors, which may
//! `dlopen` in turn).

use std::borrow::Cow;
use std::ffi::{CStr, CString};
use std::sync::{Mutex, PoisonError};

use crate::error::{Errno, Error};
use crate::memo;
use crate::sys;

/// Longest message or name accepted from the host; a longer one is cut.
/// (Only a broken host would send one; this keeps a bogus length from asking
/// for gigabytes.)
const MAX_TEXT: usize = 1 << 20;

/// First buffer size for texts from the host; longer texts take a second call.
const SMALL_TEXT: usize = 256;

/// What a symbol's value means (`__wasi_dl_symbol_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// An index into the program's function table: a function pointer.
    Function,
    /// An address in linear memory.
    Data,
    /// A kind this library does not know (a newer host).
    Other(u8),
}

impl SymbolKind {
    pub(crate) fn to_raw(self) -> sys::__wasi_dl_symbol_kind_t {
        match self {
            SymbolKind::Function => sys::__WASI_DL_SYMBOL_KIND_FUNCTION,
            SymbolKind::Data => sys::__WASI_DL_SYMBOL_KIND_DATA,
            SymbolKind::Other(raw) => raw,
        }
    }

    pub(crate) fn from_raw(raw: sys::__wasi_dl_symbol_kind_t) -> SymbolKind {
        match raw {
            sys::__WASI_DL_SYMBOL_KIND_FUNCTION => SymbolKind::Function,
            sys::__WASI_DL_SYMBOL_KIND_DATA => SymbolKind::Data,
            other => SymbolKind::Other(other),
        }
    }
}

/// `open`: a library's handle. An empty `path` opens the main program.
/// `Ok(None)`: RTLD_NOLOAD and the library is not loaded (no error: glibc
/// leaves dlerror alone then).
pub(crate) fn open(path: &[u8], flags: u32, caller: u32) -> Result<Option<u32>, Error> {
    let absolute = from_working_directory(path);
    let path: &[u8] = absolute.as_deref().unwrap_or(path);
    let mut handle: sys::__wasi_dl_handle_t = 0;
    // SAFETY: path is a live slice, handle a live u32; the host reads/writes only those.
    let rc = unsafe { sys::open(path.as_ptr().cast(), path.len(), flags, caller, &mut handle) };
    check(rc, || lossy(path))?;
    if handle == sys::WASI_DL_HANDLE_DEFAULT && flags & sys::RTLD_NOLOAD as u32 != 0 {
        return Ok(None);
    }
    if handle == sys::WASI_DL_HANDLE_DEFAULT || handle == sys::WASI_DL_HANDLE_NEXT {
        return Err(Error::local(format!(
            "{}: the host returned the reserved handle {handle:#x}",
            lossy(path)
        )));
    }
    Ok(Some(handle))
}

/// `open_needed`: the program's linked-against libraries, `\n`-separated.
pub(crate) fn open_needed(names: &[u8]) -> Result<(), Error> {
    // SAFETY: names is a live slice; the host only reads it.
    let rc = unsafe { sys::open_needed(names.as_ptr().cast(), names.len()) };
    check(rc, || Cow::Borrowed("the program's libraries"))
}

/// A relative path with a `/` names a file from the working directory, which only the
/// program knows (wasi-libc keeps it, starting at "/"): made absolute after a `chdir`. Bare
/// names are searched for, not resolved, and are left alone; so is everything while the
/// working directory is "/", and a name starting with `$ORIGIN` (the host expands it to the
/// calling module's directory).
fn from_working_directory(path: &[u8]) -> Option<Vec<u8>> {
    unsafe extern "C" {
        fn getcwd(buf: *mut std::ffi::c_char, size: usize) -> *mut std::ffi::c_char;
    }
    if path.first() == Some(&b'/') || !path.contains(&b'/') || path.first() == Some(&b'$') {
        return None;
    }
    let mut buf = [0u8; 1024];
    // SAFETY: buf is live and writable for its whole length.
    let cwd = unsafe { getcwd(buf.as_mut_ptr().cast(), buf.len()) };
    if cwd.is_null() {
        return None;
    }
    // SAFETY: getcwd succeeded, so buf holds a NUL-terminated string.
    let cwd = unsafe { CStr::from_ptr(cwd) }.to_bytes();
    if cwd == b"/" || cwd.is_empty() {
        return None;
    }
    let mut absolute = cwd.to_vec();
    absolute.push(b'/');
    absolute.extend_from_slice(path);
    Some(absolute)
}

/// `sym`: a symbol's kind and value (a table index or an address). An answer
/// the host gave since the last `open` or `close` is answered again from the
/// program's memo, without asking.
pub(crate) fn sym(handle: u32, name: &[u8], caller: u32) -> Result<(SymbolKind, u32), Error> {
    let generation = memo::generation();
    if let Some(generation) = generation {
        if let Some(found) = memo::get(generation, handle, name, caller) {
            return Ok(found);
        }
    }
    let found = sym_from_host(handle, name, caller)?;
    if let Some(generation) = generation {
        memo::put(generation, handle, name, caller, found);
    }
    Ok(found)
}

fn sym_from_host(handle: u32, name: &[u8], caller: u32) -> Result<(SymbolKind, u32), Error> {
    let mut kind: sys::__wasi_dl_symbol_kind_t = 0;
    let mut value: u32 = 0;
    // SAFETY: as for open.
    let rc = unsafe {
        sys::sym(
            handle,
            name.as_ptr().cast(),
            name.len(),
            caller,
            &mut kind,
            &mut value,
        )
    };
    check(rc, || lossy(name))?;
    Ok((SymbolKind::from_raw(kind), value))
}

/// `close`: drops one reference.
pub(crate) fn close(handle: u32) -> Result<(), Error> {
    // SAFETY: no pointers.
    let rc = unsafe { sys::close(handle) };
    check(rc, || Cow::Owned(format!("handle {handle:#x}")))
}

/// What `addr` found, with names interned (they live as long as the program).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub(crate) file: &'static CStr,
    pub(crate) base: u32,
    pub(crate) symbol: Option<&'static CStr>,
    pub(crate) symbol_value: u32,
}

/// `addr`: the library and nearest symbol holding an address or table index.
pub(crate) fn addr(address: u32) -> Result<Found, Error> {
    let mut name_small = [0u8; SMALL_TEXT];
    let mut symbol_small = [0u8; SMALL_TEXT];
    let mut name_big = Vec::new();
    let mut symbol_big = Vec::new();
    // A second call with buffers of the reported sizes if the first was too
    // small; more only if the host's answer changed in between.
    for _ in 0..3 {
        let name_buf: &mut [u8] = if name_big.is_empty() {
            &mut name_small
        } else {
            &mut name_big
        };
        let symbol_buf: &mut [u8] = if symbol_big.is_empty() {
            &mut symbol_small
        } else {
            &mut symbol_big
        };
        let mut info = sys::__wasi_dl_addr_info_t {
            handle: 0,
            base: 0,
            symbol_value: 0,
            name_len: 0,
            symbol_name_len: 0,
        };
        // SAFETY: both buffers are live for their whole length, info is a live record.
        let rc = unsafe {
            sys::addr(
                address,
                name_buf.as_mut_ptr(),
                len_u32(name_buf.len()),
                symbol_buf.as_mut_ptr(),
                len_u32(symbol_buf.len()),
                &mut info,
            )
        };
        check(rc, || Cow::Owned(format!("address {address:#x}")))?;
        let name_len = info.name_len as usize;
        let symbol_len = info.symbol_name_len as usize;
        // A name longer than MAX_TEXT is cut rather than asked for again.
        let name_fits = name_len <= name_buf.len() || name_buf.len() >= MAX_TEXT;
        let symbol_fits = symbol_len <= symbol_buf.len() || symbol_buf.len() >= MAX_TEXT;
        if name_fits && symbol_fits {
            let file = intern(&name_buf[..name_len.min(name_buf.len())]);
            let symbol =
                (symbol_len != 0).then(|| intern(&symbol_buf[..symbol_len.min(symbol_buf.len())]));
            return Ok(Found {
                file,
                base: info.base,
                symbol,
                symbol_value: if symbol.is_some() {
                    info.symbol_value
                } else {
                    0
                },
            });
        }
        if !name_fits {
            name_big = zeroed(name_len)?;
        }
        if !symbol_fits {
            symbol_big = zeroed(symbol_len)?;
        }
    }
    Err(Error::local(format!(
        "dladdr {address:#x}: the host's answer kept changing"
    )))
}

/// A zeroed buffer of `len` bytes (at most MAX_TEXT), or an error if memory is short.
fn zeroed(len: usize) -> Result<Vec<u8>, Error> {
    let len = len.min(MAX_TEXT);
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| Error::local(format!("out of memory for a {len}-byte name")))?;
    buf.resize(len, 0);
    Ok(buf)
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Turns a non-success errno into an [`Error`] holding the host's message.
/// `context` names what failed, for the fallback text when the host has none.
fn check<'a>(
    rc: sys::__wasi_dl_errno_t,
    context: impl FnOnce() -> Cow<'a, str>,
) -> Result<(), Error> {
    if rc == sys::__WASI_DL_ERRNO_SUCCESS {
        return Ok(());
    }
    let errno = Errno::from_raw(rc);
    let message = match last_error() {
        Some(text) => text,
        None => format!("{}: wasi_dl error {errno}", context()),
    };
    Err(Error::host(errno, message))
}

/// The host's last error text, however long (up to MAX_TEXT), or None if it
/// has none or `last_error` fails.
fn last_error() -> Option<String> {
    let mut small = [0u8; SMALL_TEXT];
    let mut len: u32 = 0;
    // SAFETY: small and len are live; the host writes at most small.len() bytes.
    let rc = unsafe { sys::last_error(small.as_mut_ptr(), len_u32(small.len()), &mut len) };
    if rc != sys::__WASI_DL_ERRNO_SUCCESS || len == 0 {
        return None;
    }
    let mut need = len as usize;
    if need <= small.len() {
        return Some(text(&small[..need], false));
    }
    let mut best: (Vec<u8>, bool) = (small.to_vec(), true);
    for _ in 0..3 {
        let cut = need > MAX_TEXT;
        let Ok(mut buf) = zeroed(need) else { break };
        let mut len: u32 = 0;
        // SAFETY: as above, with buf.
        let rc = unsafe { sys::last_error(buf.as_mut_ptr(), len_u32(buf.len()), &mut len) };
        if rc != sys::__WASI_DL_ERRNO_SUCCESS || len == 0 {
            break;
        }
        let len = len as usize;
        if len <= buf.len() {
            buf.truncate(len);
            return Some(text(&buf, false));
        }
        best = (buf, true);
        if cut {
            break;
        }
        need = len; // the text grew in between: try once more
    }
    Some(text(&best.0, best.1))
}

/// Host text to a String: invalid UTF-8 and NUL bytes become U+FFFD (the text
/// must also work as a C string); a cut text ends with "...".
fn text(bytes: &[u8], cut: bool) -> String {
    let mut s = String::from_utf8_lossy(bytes).replace('\0', "\u{FFFD}");
    if cut {
        s.push_str("...");
    }
    s
}

/// A name for messages.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Names handed out by `dladdr` must stay valid: each distinct name is made a
/// C string once and kept for the rest of the program (there are only so many
/// library and symbol names). Sorted, for binary search.
static INTERNED: Mutex<Vec<&'static CStr>> = Mutex::new(Vec::new());

fn intern(bytes: &[u8]) -> &'static CStr {
    let c = to_cstring(bytes);
    let mut names = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    match names.binary_search_by(|name| name.to_bytes().cmp(c.to_bytes())) {
        Ok(at) => names[at],
        Err(at) => {
            let leaked: &'static CStr = Box::leak(c.into_boxed_c_str());
            names.insert(at, leaked);
            leaked
        }
    }
}

/// Bytes to a C string; a NUL byte inside (which no real name has) becomes '?'.
pub(crate) fn to_cstring(bytes: &[u8]) -> CString {
    let clean: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == 0 { b'?' } else { b })
        .collect();
    CString::new(clean).unwrap_or_default()
}
