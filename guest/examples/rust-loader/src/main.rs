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
//!
//! `rust-loader --plugin PATH...` loads Rust plugins instead (such as
//! `examples/rust-plugins/hello`, built with `wasi-dl cargo build`): it checks
//! each one's descriptor with `Library::plugin`, looks up its entry points with
//! their types checked, calls them, then closes and reopens the plugin. It
//! prints what fails and goes on with the next; the exit status is 2 if
//! anything failed.

use std::ffi::{c_char, c_int, CStr};
use std::io::Write as _;
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

/// One load of a Rust plugin with the `hello` example's entry points.
fn plugin_round(path: &str, round: u32) -> Result<(), wasi_dl_guest::Error> {
    let lib = Library::open(path, Flags::NOW)?;
    let plugin = lib.plugin()?;
    println!(
        "round {round}: plugin {} {}",
        plugin.name(),
        plugin.version()
    );

    // A safe entry point is a safe function: its type was checked.
    let add = plugin.get::<extern "C" fn(i32, i32) -> i32>("hello_add")?;
    println!("hello_add(40, 2) = {}", add(40, 2));
    if round == 1 {
        // Another type, or an unsafe function asked for as a safe one, is an error.
        for result in [
            plugin
                .get::<extern "C" fn(i64, i64) -> i64>("hello_add")
                .map(drop),
            plugin
                .get::<extern "C" fn(*const c_char) -> u32>("hello_greet")
                .map(drop),
            plugin.get::<extern "C" fn()>("hello_missing").map(drop),
        ] {
            match result {
                Ok(()) => println!("unexpectedly accepted"),
                Err(e) => println!("refused: {e}"),
            }
        }
    }

    let greet = plugin.get::<unsafe extern "C" fn(*const c_char) -> u32>("hello_greet")?;
    // Our own partial line must leave our stdout before the plugin writes:
    // the plugin has its own stdout (see guest/README.md).
    print!("greet: [");
    let _ = std::io::stdout().flush();
    // SAFETY: a NUL-terminated string.
    let n = unsafe { greet(c"Rust".as_ptr()) };
    println!("] greeting {n}");

    let count = plugin.get::<unsafe extern "C" fn(*const c_char) -> u32>("hello_count_words")?;
    // SAFETY: as above.
    let distinct = unsafe { count(c"to be or not to be".as_ptr()) };
    println!("distinct words: {distinct}");

    let decimal =
        plugin.get::<unsafe extern "C" fn(u64, *mut u8, usize) -> usize>("hello_decimal")?;
    let mut digits = [0u8; 32];
    // SAFETY: digits has room for digits.len() bytes.
    let len = unsafe { decimal(u64::MAX / 3, digits.as_mut_ptr(), digits.len()) };
    let text = CStr::from_bytes_until_nul(&digits)
        .map(CStr::to_string_lossy)
        .unwrap_or_default();
    println!("decimal: {text} ({len} digits)");
    lib.close()
}

/// `--plugin PATH...`: two rounds per plugin (the second in a fresh load).
fn plugins(paths: &[String]) -> ExitCode {
    let mut failed = false;
    for path in paths {
        for round in 1..=2 {
            if let Err(e) = plugin_round(path, round) {
                println!("rust-loader: {e}");
                failed = true;
                break;
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--plugin") {
        return plugins(&args[2..]);
    }
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
