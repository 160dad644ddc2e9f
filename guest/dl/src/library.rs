//! The safe API, shaped like the `libloading` crate.

use std::ffi::{c_int, c_void, CStr, OsStr};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of, ManuallyDrop};
use std::ops::{BitOr, BitOrAssign, Deref};
use std::ptr;

use crate::error::Error;
use crate::imp::{self, SymbolKind};
use crate::sys;

/// `dlopen` flags (`RTLD_*`, musl's values, from `<dlfcn.h>`). Combine with `|`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flags(c_int);

impl Flags {
    /// `RTLD_LAZY` (accepted; binding is always immediate).
    pub const LAZY: Flags = Flags(sys::RTLD_LAZY);
    /// `RTLD_NOW`.
    pub const NOW: Flags = Flags(sys::RTLD_NOW);
    /// `RTLD_NOLOAD`: only succeed if the library is already loaded.
    pub const NOLOAD: Flags = Flags(sys::RTLD_NOLOAD);
    /// `RTLD_NODELETE`: never unload the library.
    pub const NODELETE: Flags = Flags(sys::RTLD_NODELETE);
    /// `RTLD_GLOBAL`: its symbols serve later loads and `RTLD_DEFAULT` lookups.
    pub const GLOBAL: Flags = Flags(sys::RTLD_GLOBAL);
    /// `RTLD_LOCAL` (the default; zero).
    pub const LOCAL: Flags = Flags(sys::RTLD_LOCAL);

    /// The `mode` value for `dlopen`.
    pub const fn bits(self) -> c_int {
        self.0
    }

    /// Flags from a raw `mode`, unknown bits kept (the host rejects them).
    pub const fn from_bits_retain(bits: c_int) -> Flags {
        Flags(bits)
    }

    /// Both sets of flags.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl Default for Flags {
    /// `RTLD_LAZY | RTLD_LOCAL`, as `libloading` uses.
    fn default() -> Flags {
        Flags::LAZY
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        self.union(other)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, other: Flags) {
        *self = self.union(other);
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, &str); 5] = [
            (Flags::LAZY, "LAZY"),
            (Flags::NOW, "NOW"),
            (Flags::NOLOAD, "NOLOAD"),
            (Flags::GLOBAL, "GLOBAL"),
            (Flags::NODELETE, "NODELETE"),
        ];
        let mut rest = self.0;
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                f.write_str(if first { "" } else { " | " })?;
                f.write_str(name)?;
                rest &= !flag.0;
                first = false;
            }
        }
        if rest != 0 || first {
            if !first {
                f.write_str(" | ")?;
            }
            if rest == 0 {
                f.write_str("LOCAL")?;
            } else {
                write!(f, "{rest:#x}")?;
            }
        }
        Ok(())
    }
}

/// A loaded library (or the program itself, [`Library::this`]). Dropping it
/// closes it, ignoring errors; [`Library::close`] reports them.
///
/// Symbols borrow the `Library`, so they cannot outlive it.
pub struct Library {
    handle: u32,
}

impl Library {
    /// `dlopen(path, flags)`: loads a side module (and what it needs), runs its
    /// constructors, and returns its handle. A name without `/` is searched
    /// for in the places the host allows; an empty path means the program.
    ///
    /// Loading runs the library's constructors: only load code you trust
    /// (it shares this program's memory).
    ///
    /// # Errors
    /// The host's `dlerror` text: not found, not allowed, not a side module,
    /// an undefined symbol, a trapping constructor, ...; or a local error for
    /// a path with a NUL byte inside, or for [`Flags::NOLOAD`] when the
    /// library is not loaded.
    ///
    /// ```no_run
    /// use wasi_dl_guest::{Flags, Library};
    /// let lib = Library::open("libplugin.so", Flags::NOW | Flags::GLOBAL);
    /// match lib {
    ///     Ok(lib) => drop(lib),
    ///     Err(e) => eprintln!("{e}"), // e.g. "libplugin.so: cannot open shared object file: ..."
    /// }
    /// ```
    pub fn open(path: impl AsRef<OsStr>, flags: Flags) -> Result<Library, Error> {
        let path = path.as_ref().as_encoded_bytes();
        if path.contains(&0) {
            return Err(Error::local(format!(
                "{}: the file name contains a NUL byte",
                imp::lossy(path)
            )));
        }
        match imp::open(path, flags.bits() as u32, 0)? {
            Some(handle) => Ok(Library { handle }),
            None => Err(Error::local(format!(
                "{}: not loaded (RTLD_NOLOAD)",
                imp::lossy(path)
            ))),
        }
    }

    /// `dlopen(NULL, RTLD_LAZY)`: the program itself, to look up its own
    /// exported symbols (and those of `RTLD_GLOBAL` libraries).
    ///
    /// # Errors
    /// Only if the host refuses.
    pub fn this() -> Result<Library, Error> {
        match imp::open(b"", Flags::LAZY.bits() as u32, 0)? {
            Some(handle) => Ok(Library { handle }),
            None => Err(Error::local(
                "the host returned no handle for the program".into(),
            )),
        }
    }

    /// `dlsym`: the symbol `symbol` (`b"name\0"` or `"name"`; one trailing
    /// NUL is ignored) as a value of type `T`, which must be pointer-sized:
    /// an `unsafe extern "C" fn(..) -> ..` for a function, a raw pointer for
    /// data. A weak symbol that nobody defines has the value 0: look those up
    /// as `Option<unsafe extern "C" fn(..)>` or as a raw pointer.
    ///
    /// ```no_run
    /// use std::ffi::c_int;
    /// use wasi_dl_guest::{Flags, Library, Symbol};
    /// # fn main() -> Result<(), wasi_dl_guest::Error> {
    /// let lib = Library::open("libm_extra.so", Flags::NOW)?;
    /// let twice: Symbol<unsafe extern "C" fn(c_int) -> c_int> = unsafe { lib.get("twice")? };
    /// let counter: Symbol<*mut c_int> = unsafe { lib.get(b"counter\0")? };
    /// unsafe { **counter = twice(21) };
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The host's text if the symbol is not defined in the library's scope
    /// (glibc's `undefined symbol: NAME`); a local error for a name with a
    /// NUL byte inside or a `T` that is not pointer-sized.
    ///
    /// # Safety
    /// `T` must be the symbol's real type: nothing checks it, and calling a
    /// function through the wrong type is undefined behaviour (on wasm, a trap
    /// at best).
    pub unsafe fn get<T>(&self, symbol: impl AsRef<[u8]>) -> Result<Symbol<'_, T>, Error> {
        let name = symbol.as_ref();
        let name = name.strip_suffix(b"\0").unwrap_or(name);
        if name.contains(&0) {
            return Err(Error::local(format!(
                "{}: the symbol name contains a NUL byte",
                imp::lossy(name)
            )));
        }
        if size_of::<T>() != size_of::<usize>() || align_of::<T>() > align_of::<usize>() {
            return Err(Error::local(format!(
                "{}: a {}-byte type cannot hold a symbol's value ({} bytes)",
                imp::lossy(name),
                size_of::<T>(),
                size_of::<usize>()
            )));
        }
        let (kind, value) = imp::sym(self.handle, name, 0)?;
        Ok(Symbol {
            value: value as usize,
            kind,
            _type: PhantomData,
            _lib: PhantomData,
        })
    }

    /// `dlclose`, reporting errors. At the last close the library's
    /// destructors run and it is unloaded.
    ///
    /// # Errors
    /// The host's text, e.g. for a handle that was closed already.
    pub fn close(self) -> Result<(), Error> {
        let this = ManuallyDrop::new(self);
        imp::close(this.handle)
    }

    /// The `dlopen` handle, for C code.
    pub fn as_raw(&self) -> *mut c_void {
        ptr::without_provenance_mut(self.handle as usize)
    }

    /// The `dlopen` handle, which the caller must close (e.g. with `dlclose`).
    pub fn into_raw(self) -> *mut c_void {
        ManuallyDrop::new(self).as_raw()
    }

    /// Takes over a handle from `dlopen`.
    ///
    /// # Safety
    /// `handle` must be an open handle that nothing else will close.
    pub unsafe fn from_raw(handle: *mut c_void) -> Library {
        Library {
            handle: handle as usize as u32,
        }
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        let _ = imp::close(self.handle);
    }
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Library({:#x})", self.handle)
    }
}

/// A symbol of a [`Library`]: dereferences to its value as a `T` (a function
/// pointer or a data pointer), and cannot outlive the library.
pub struct Symbol<'lib, T> {
    /// Kept as an integer, so that no `T` exists until it is asked for.
    value: usize,
    kind: SymbolKind,
    _type: PhantomData<T>,
    _lib: PhantomData<&'lib Library>,
}

impl<T> Symbol<'_, T> {
    /// A symbol from its value; the caller has checked that the value is a `T`.
    pub(crate) fn from_parts(value: usize, kind: SymbolKind) -> Self {
        Symbol {
            value,
            kind,
            _type: PhantomData,
            _lib: PhantomData,
        }
    }

    /// The symbol's value: a function's table index, or a data address.
    pub fn value(&self) -> usize {
        self.value
    }

    /// Whether the value is a function (table index) or data (address).
    pub fn kind(&self) -> SymbolKind {
        self.kind
    }
}

impl<T> Deref for Symbol<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `get` checked that T is pointer-sized and no more aligned
        // than usize; that the bits are a valid T is the promise made to `get`.
        unsafe { &*ptr::from_ref(&self.value).cast::<T>() }
    }
}

impl<T> Clone for Symbol<'_, T> {
    fn clone(&self) -> Self {
        Symbol {
            value: self.value,
            kind: self.kind,
            _type: PhantomData,
            _lib: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Symbol<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({:?} {:#x})", self.kind, self.value)
    }
}

/// What [`addr_info`] found (POSIX `Dl_info`).
#[derive(Clone, Copy, Debug)]
pub struct AddrInfo {
    /// The library's (or program's) name.
    pub file: &'static CStr,
    /// The base of its data block.
    pub base: usize,
    /// The nearest symbol at or below the address, if any.
    pub symbol: Option<&'static CStr>,
    /// That symbol's value (0 without a symbol).
    pub symbol_value: usize,
}

/// `dladdr`: the library and nearest symbol that hold `addr`, a data address
/// or a function pointer (`f as usize`, a table index on wasm).
///
/// # Errors
/// The host's text if no loaded module holds the address.
pub fn addr_info(addr: usize) -> Result<AddrInfo, Error> {
    let found = imp::addr(addr as u32)?;
    Ok(AddrInfo {
        file: found.file,
        base: found.base as usize,
        symbol: found.symbol,
        symbol_value: found.symbol_value as usize,
    })
}
