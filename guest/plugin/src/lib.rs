//! The plugin side of wasi-dl: a Rust `cdylib` built with `wasi-dl cargo build`
//! is a side module that a C or Rust program loads with `dlopen`. This crate
//! exports its entry points.
//!
//! [`export_plugin!`] turns ordinary Rust functions with C types into
//! `#[no_mangle] extern "C"` functions (so a C program finds them with `dlsym`
//! by name) and adds one data symbol, [`DESCRIPTOR_SYMBOL`]: a [`Descriptor`]
//! with a magic number, the [`ABI_VERSION`] it was built for, the crate's name
//! and version, and a table of the entry points with a hash of each one's
//! type. The loading side checks all of it: `wasi_dl_guest::Library::plugin`
//! in Rust (which also checks each function's type when it is looked up) and
//! `wasi_dl_plugin_open` of `<wasi_dl/plugin.h>` in C.
//!
//! ```ignore
//! use std::ffi::{c_char, CStr};
//!
//! wasi_dl_plugin::export_plugin! {
//!     /// Safe functions are safe to call from a Rust program.
//!     pub extern "C" fn add(a: i32, b: i32) -> i32 {
//!         a + b
//!     }
//!
//!     /// # Safety
//!     /// `name` must be a NUL-terminated string.
//!     pub unsafe extern "C" fn greet(name: *const c_char) {
//!         println!("Hello, {}!", unsafe { CStr::from_ptr(name) }.to_string_lossy());
//!     }
//! }
//! ```
//!
//! # Standard output around entry points
//!
//! A plugin has its own copy of the Rust standard library, so its own
//! `stdout` buffer (a `LineWriter`), separate from the program's C `stdio`
//! buffers (fully buffered when the output is not a terminal) or a Rust
//! program's own `stdout`. To keep output in the order it was written, every
//! entry point made by [`export_plugin!`] flushes the program's C streams
//! (`fflush(NULL)`, imported from the program) before running, and the
//! plugin's `stdout` when it returns. A Rust program flushes its own partial
//! lines (`print!` without a newline) before calling into a plugin.
//!
//! # Panics
//!
//! Side modules are built with `panic = "abort"` (WebAssembly has no
//! unwinding here): a panic prints its message on stderr with the plugin's
//! panic hook, then aborts the whole program (a trap; `wasi-dl run` exits
//! with 134). Return an error code for errors the program should handle.

#![warn(missing_docs)]

use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::size_of;

/// The version of the [`Descriptor`] layout and of the entry-point
/// conventions. A loader refuses a plugin of another version.
pub const ABI_VERSION: u32 = 1;

/// [`Descriptor::magic`]: `"WDLP"` in memory order.
pub const MAGIC: u32 = u32::from_le_bytes(*b"WDLP");

/// The name of the data symbol that holds a plugin's [`Descriptor`].
pub const DESCRIPTOR_SYMBOL: &str = "__wasi_dl_plugin";

/// What a plugin tells its loader about itself (`struct wasi_dl_plugin` in
/// `<wasi_dl/plugin.h>`; the same layout).
#[repr(C)]
#[derive(Debug)]
pub struct Descriptor {
    /// [`MAGIC`].
    pub magic: u32,
    /// [`ABI_VERSION`] of the crate that built the plugin.
    pub abi_version: u32,
    /// The plugin crate's name (NUL-terminated).
    pub name: *const c_char,
    /// The plugin crate's version (NUL-terminated).
    pub version: *const c_char,
    /// How many entries `entries` points to.
    pub entry_count: u32,
    /// The entry points.
    pub entries: *const Entry,
}

// SAFETY: a descriptor is immutable data (pointers to immutable strings and
// functions).
unsafe impl Sync for Descriptor {}

impl Descriptor {
    /// A descriptor of ABI version [`ABI_VERSION`] (used by [`export_plugin!`]).
    pub const fn new(
        name: &'static CStr,
        version: &'static CStr,
        entries: &'static [Entry],
    ) -> Descriptor {
        Descriptor {
            magic: MAGIC,
            abi_version: ABI_VERSION,
            name: name.as_ptr(),
            version: version.as_ptr(),
            entry_count: entries.len() as u32,
            entries: entries.as_ptr(),
        }
    }
}

/// One entry point (`struct wasi_dl_plugin_entry` in `<wasi_dl/plugin.h>`).
#[repr(C)]
#[derive(Debug)]
pub struct Entry {
    /// The function's name, which is also its exported symbol (NUL-terminated).
    pub name: *const c_char,
    /// Its type as written in the plugin's source (NUL-terminated), for messages.
    pub signature_text: *const c_char,
    /// [`Signature::SIGNATURE`] of its type.
    pub signature: u64,
    /// The function (a table index on wasm).
    pub function: unsafe extern "C" fn(),
}

// SAFETY: as for Descriptor.
unsafe impl Sync for Entry {}

/// Reinterprets one function pointer type as another of the same size.
union FnCast<F: Copy> {
    typed: F,
    raw: unsafe extern "C" fn(),
}

impl Entry {
    /// An entry for `function`, of type `F` (used by [`export_plugin!`]).
    pub const fn new<F: Signature>(
        name: &'static CStr,
        signature_text: &'static CStr,
        function: F,
    ) -> Entry {
        assert!(size_of::<F>() == size_of::<unsafe extern "C" fn()>());
        Entry {
            name: name.as_ptr(),
            signature_text: signature_text.as_ptr(),
            signature: F::SIGNATURE,
            // SAFETY: every Signature type is a function pointer, of the same
            // size (asserted); the loader casts it back to F only after
            // comparing F::SIGNATURE.
            function: unsafe { FnCast { typed: function }.raw },
        }
    }
}

/// A `&'static CStr` from a string literal that ends in `"\0"`, at compile
/// time (used by [`export_plugin!`]).
pub const fn cstr(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a plugin name must end in one NUL and contain no other"),
    }
}

/// A type that may cross the plugin boundary as an argument or result: the
/// primitive C types and raw pointers to sized types.
///
/// # Safety
/// `CODE` must differ between types that are not ABI-compatible.
pub unsafe trait FfiType {
    /// A short name of the type's ABI class, hashed into [`Signature::SIGNATURE`].
    const CODE: &'static str;
}

macro_rules! ffi_types {
    ($($t:ty => $code:literal),* $(,)?) => {
        $(
            // SAFETY: distinct codes for distinct primitive types.
            unsafe impl FfiType for $t {
                const CODE: &'static str = $code;
            }
        )*
    };
}

ffi_types! {
    () => "void", bool => "bool",
    i8 => "i8", u8 => "u8", i16 => "i16", u16 => "u16", i32 => "i32", u32 => "u32",
    i64 => "i64", u64 => "u64", isize => "isize", usize => "usize", f32 => "f32", f64 => "f64",
}

// SAFETY: thin pointers; constness is part of the contract, the pointee is not
// (as in C, where a cast is all it takes).
unsafe impl<T> FfiType for *const T {
    const CODE: &'static str = "*const";
}
// SAFETY: as above.
unsafe impl<T> FfiType for *mut T {
    const CODE: &'static str = "*mut";
}

/// A function pointer type an entry point can have: `extern "C" fn(A, ..) -> R`
/// or `unsafe extern "C" fn(A, ..) -> R` with up to eight [`FfiType`]
/// arguments. Its [`SIGNATURE`](Signature::SIGNATURE) is what the Rust loader
/// compares before handing out a function of that type.
///
/// # Safety
/// Implemented here for function pointers only; `SIGNATURE` must tell apart
/// types that cannot be called through each other.
pub unsafe trait Signature: Copy + 'static {
    /// A hash of the ABI classes of the arguments and result and of whether
    /// the function is `unsafe`.
    const SIGNATURE: u64;
}

/// FNV-1a, 64 bits.
const fn mix(mut hash: u64, text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The hash of `[unsafe ]extern "C" fn(ARGS)->RET`.
const fn signature(is_unsafe: bool, args: &[&str], ret: &str) -> u64 {
    let mut hash = mix(
        0xcbf2_9ce4_8422_2325,
        if is_unsafe { "unsafe fn(" } else { "fn(" },
    );
    let mut i = 0;
    while i < args.len() {
        hash = mix(hash, args[i]);
        hash = mix(hash, ",");
        i += 1;
    }
    hash = mix(hash, ")->");
    mix(hash, ret)
}

macro_rules! signatures {
    ($($a:ident)*) => {
        // SAFETY: a function pointer; the hash covers every argument, the result
        // and unsafety.
        unsafe impl<R: FfiType + 'static $(, $a: FfiType + 'static)*> Signature for extern "C" fn($($a),*) -> R {
            const SIGNATURE: u64 = signature(false, &[$($a::CODE),*], R::CODE);
        }
        // SAFETY: as above.
        unsafe impl<R: FfiType + 'static $(, $a: FfiType + 'static)*> Signature for unsafe extern "C" fn($($a),*) -> R {
            const SIGNATURE: u64 = signature(true, &[$($a::CODE),*], R::CODE);
        }
    };
}

signatures!();
signatures!(A1);
signatures!(A1 A2);
signatures!(A1 A2 A3);
signatures!(A1 A2 A3 A4);
signatures!(A1 A2 A3 A4 A5);
signatures!(A1 A2 A3 A4 A5 A6);
signatures!(A1 A2 A3 A4 A5 A6 A7);
signatures!(A1 A2 A3 A4 A5 A6 A7 A8);

extern "C" {
    /// The program's C library (imported from the program, which exports it).
    fn fflush(stream: *mut c_void) -> c_int;
}

/// Brackets every entry point made by [`export_plugin!`]: see "Standard
/// output around entry points" above. Not for direct use.
#[doc(hidden)]
pub struct EntryGuard(());

impl EntryGuard {
    /// Flushes the program's C streams, so that what the program wrote
    /// before calling comes out before what the plugin writes.
    #[doc(hidden)]
    #[inline]
    pub fn enter() -> EntryGuard {
        // SAFETY: fflush(NULL) flushes every open stream; no pointer is passed.
        unsafe { fflush(std::ptr::null_mut()) };
        EntryGuard(())
    }
}

impl Drop for EntryGuard {
    /// Flushes the plugin's own `stdout` (its partial last line), so that it
    /// comes out before what the program writes next.
    fn drop(&mut self) {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    }
}

/// Exports a plugin's entry points and its [`Descriptor`]. Use it once per
/// plugin crate, with every entry point inside:
///
/// ```ignore
/// wasi_dl_plugin::export_plugin! {
///     /// Documentation and other attributes are kept.
///     pub extern "C" fn add(a: i32, b: i32) -> i32 { a + b }
///     pub unsafe extern "C" fn fill(out: *mut u8, len: usize) -> usize { /* ... */ 0 }
/// }
/// ```
///
/// Each function becomes `#[no_mangle] pub [unsafe] extern "C" fn` with the
/// same name (a C program `dlsym`s it by that name), whose body runs between
/// the flushes described in the crate documentation. Argument and result types
/// must be [`FfiType`]s (`i32`, `u64`, `f64`, `bool`, raw pointers, ...; the
/// C aliases `c_int`, `c_char`, ... are among them). The descriptor names the
/// crate (`CARGO_PKG_NAME`, `CARGO_PKG_VERSION`) and lists every entry with
/// its type.
#[macro_export]
macro_rules! export_plugin {
    // All entries seen: the descriptor.
    (@munch [$(($name:ident, $fnty:ty))*]) => {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #[unsafe(no_mangle)]
        pub static __wasi_dl_plugin: $crate::Descriptor = $crate::Descriptor::new(
            $crate::cstr(concat!(env!("CARGO_PKG_NAME"), "\0")),
            $crate::cstr(concat!(env!("CARGO_PKG_VERSION"), "\0")),
            &[$(
                $crate::Entry::new::<$fnty>(
                    $crate::cstr(concat!(stringify!($name), "\0")),
                    $crate::cstr(concat!(stringify!($fnty), "\0")),
                    $name,
                )
            ),*],
        );
    };
    (@munch [$($done:tt)*]
        $(#[$meta:meta])*
        pub unsafe extern "C" fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
        $($rest:tt)*
    ) => {
        $(#[$meta])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
            let _entry = $crate::EntryGuard::enter();
            $body
        }
        $crate::export_plugin!(@munch [$($done)* ($name, unsafe extern "C" fn($($ty),*) $(-> $ret)?)] $($rest)*);
    };
    (@munch [$($done:tt)*]
        $(#[$meta:meta])*
        pub extern "C" fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
        $($rest:tt)*
    ) => {
        $(#[$meta])*
        #[unsafe(no_mangle)]
        pub extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
            let _entry = $crate::EntryGuard::enter();
            $body
        }
        $crate::export_plugin!(@munch [$($done)* ($name, extern "C" fn($($ty),*) $(-> $ret)?)] $($rest)*);
    };
    ($($items:tt)*) => {
        $crate::export_plugin!(@munch [] $($items)*);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_tell_types_apart() {
        type A = extern "C" fn(i32, i32) -> i32;
        type B = extern "C" fn(i32, u32) -> i32;
        type C = unsafe extern "C" fn(i32, i32) -> i32;
        type D = extern "C" fn(i32, i32);
        type E = extern "C" fn(*const u8) -> i32;
        type F = extern "C" fn(*mut u8) -> i32;
        let all = [
            A::SIGNATURE,
            B::SIGNATURE,
            C::SIGNATURE,
            D::SIGNATURE,
            E::SIGNATURE,
            F::SIGNATURE,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // C aliases are the same types.
        assert_eq!(
            <extern "C" fn(std::ffi::c_int) -> std::ffi::c_char>::SIGNATURE,
            <extern "C" fn(i32) -> i8>::SIGNATURE
        );
    }
}
