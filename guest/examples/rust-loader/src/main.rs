//! rust-loader: a Rust main program that loads a C side module with
//! wasi-dl's Rust API, calls into it, and unloads it.
//!
//! Usage: `rust-loader [PATH]` (default `libgreet.so`; build it from
//! `libgreet.c`, the command is at its top). Under a wasi-dl host that can
//! reach the library it prints:
//!
//! ```text
//! note: libgreet: constructor
//! greet returned 12: Hello, wasm!
//! greet_calls = 1
//! missing symbol: <the host's "undefined symbol: no_such_function" message>
//! dladdr(greet): greet in libgreet.so
//! note: libgreet: destructor
//! closed
//! ```

use std::ffi::{c_char, c_int, CStr};
use std::process::ExitCode;

use wasi_dl_guest::{Flags, Library, Symbol};

/// Called by libgreet.so's constructor and destructor (exported by build.rs).
///
/// # Safety
/// `what` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rust_loader_note(what: *const c_char) {
    if !what.is_null() {
        // SAFETY: the caller's contract.
        let what = unsafe { CStr::from_ptr(what) };
        println!("note: {}", what.to_string_lossy());
    }
}

/// `int greet(const char *name, char *out, int cap)`
type GreetFn = unsafe extern "C" fn(*const c_char, *mut c_char, c_int) -> c_int;

fn run(path: &str) -> Result<(), wasi_dl_guest::Error> {
    let lib = Library::open(path, Flags::NOW)?;

    // SAFETY: libgreet.c defines greet with exactly this signature.
    let greet: Symbol<GreetFn> = unsafe { lib.get(b"greet\0")? };
    let mut out = [0u8; 64];
    // SAFETY: a valid C string, and out has room for cap bytes.
    let n = unsafe {
        greet(
            c"wasm".as_ptr(),
            out.as_mut_ptr().cast(),
            out.len() as c_int,
        )
    };
    let text = CStr::from_bytes_until_nul(&out)
        .map(CStr::to_string_lossy)
        .unwrap_or_default();
    println!("greet returned {n}: {text}");

    // SAFETY: greet_calls is an int.
    let calls: Symbol<*const c_int> = unsafe { lib.get("greet_calls")? };
    // SAFETY: the library is loaded, so its data is live.
    println!("greet_calls = {}", unsafe { **calls });

    // SAFETY: the type does not matter: the lookup fails.
    match unsafe { lib.get::<GreetFn>("no_such_function") } {
        Ok(symbol) => println!(
            "missing symbol: unexpectedly found at {:#x}",
            symbol.value()
        ),
        Err(e) => println!("missing symbol: {e}"),
    }

    match wasi_dl_guest::addr_info(greet.value()) {
        Ok(info) => {
            let file = info.file.to_string_lossy();
            let base = file.rsplit('/').next().unwrap_or(&file);
            let symbol = info.symbol.map(CStr::to_string_lossy).unwrap_or_default();
            println!("dladdr(greet): {symbol} in {base}");
        }
        Err(e) => println!("dladdr(greet): {e}"),
    }

    // The last close runs libgreet's destructor and unloads it.
    lib.close()?;
    println!("closed");
    Ok(())
}

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "libgreet.so".to_owned());
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust-loader: {e}");
            ExitCode::FAILURE
        }
    }
}
