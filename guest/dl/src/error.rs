//! The error type and the `wasi_dl` errno values.

use std::fmt;

use crate::sys;

include!(concat!(env!("OUT_DIR"), "/errno_names.rs"));

/// An error code returned by a `wasi_dl` import (`__wasi_dl_errno_t`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(u16);

impl Errno {
    /// Bad guest pointer or length, or a string that is not UTF-8.
    pub const FAULT: Errno = Errno(sys::__WASI_DL_ERRNO_FAULT);
    /// Invalid argument (unknown flag bits, empty name).
    pub const INVAL: Errno = Errno(sys::__WASI_DL_ERRNO_INVAL);
    /// Library not found in the allowed locations.
    pub const NOENT: Errno = Errno(sys::__WASI_DL_ERRNO_NOENT);
    /// Not a usable side module.
    pub const NOEXEC: Errno = Errno(sys::__WASI_DL_ERRNO_NOEXEC);
    /// Unknown, forged or closed handle.
    pub const BADF: Errno = Errno(sys::__WASI_DL_ERRNO_BADF);
    /// Symbol not defined in the searched scope.
    pub const NOSYM: Errno = Errno(sys::__WASI_DL_ERRNO_NOSYM);
    /// A configured limit would be exceeded.
    pub const LIMIT: Errno = Errno(sys::__WASI_DL_ERRNO_LIMIT);
    /// An import could not be resolved, or has the wrong type.
    pub const LINK: Errno = Errno(sys::__WASI_DL_ERRNO_LINK);
    /// Instantiation, relocation or a constructor trapped.
    pub const INIT: Errno = Errno(sys::__WASI_DL_ERRNO_INIT);
    /// The guest allocator could not provide the library's data.
    pub const NOMEM: Errno = Errno(sys::__WASI_DL_ERRNO_NOMEM);
    /// Path outside what the embedder allows.
    pub const ACCESS: Errno = Errno(sys::__WASI_DL_ERRNO_ACCESS);
    /// Reading the library failed.
    pub const IO: Errno = Errno(sys::__WASI_DL_ERRNO_IO);

    /// The raw value.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// The errno from a raw value (any value: a newer host may have more).
    pub const fn from_raw(raw: u16) -> Errno {
        Errno(raw)
    }

    /// The name in `wasi_dl.h` without its prefix (`"NOENT"`), if known.
    pub fn name(self) -> Option<&'static str> {
        ERRNO_NAMES
            .iter()
            .find(|(value, _)| *value == self.0)
            .map(|(_, name)| *name)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Errno::{name}"),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "error {}", self.0),
        }
    }
}

/// Why a `dlopen`, `dlsym`, `dlclose` or `dladdr` failed.
///
/// Its [`Display`](fmt::Display) is exactly the `dlerror()` text: the host's
/// message (glibc's wording, such as `libx.so: cannot open shared object
/// file: No such file or directory`), or a message of this library for errors
/// found before asking the host.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    errno: Option<Errno>,
    message: String,
}

impl Error {
    /// The text, as `dlerror()` would return it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The host's error code; `None` for an error found by this library
    /// itself (such as a name with a NUL byte inside).
    pub fn errno(&self) -> Option<Errno> {
        self.errno
    }

    pub(crate) fn host(errno: Errno, message: String) -> Error {
        Error {
            errno: Some(errno),
            message,
        }
    }

    pub(crate) fn local(message: String) -> Error {
        Error {
            errno: None,
            message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("errno", &self.errno)
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Error {}
