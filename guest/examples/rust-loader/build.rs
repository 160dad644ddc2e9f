//! Linker arguments for a main program that loads side modules.
//!
//! The host needs the program's function table (exported and growable), its
//! stack pointer, and the guest library's functions exported; rustc exports
//! none of that from a binary by itself. wasi-dl-guest publishes the list as
//! `DEP_WASI_DL_MAIN_LINK_ARGS` (it declares `links = "wasi_dl"`), so it is
//! kept in one place.
//!
//! Why a build script and not `.cargo/config.toml`: cargo reads config files
//! from the directory it is run in, so `cargo build --manifest-path
//! guest/Cargo.toml` from the repository root would miss one in guest/, and
//! `rustflags` there would apply to every binary of the workspace.
//! `rustc-link-arg-bins` applies to this package's binaries only, however
//! cargo is run.

fn main() {
    let args = std::env::var("DEP_WASI_DL_MAIN_LINK_ARGS").unwrap_or_default();
    if args.is_empty() {
        println!("cargo:warning=wasi-dl-guest published no main-program link arguments");
    }
    for arg in args.split_whitespace() {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    // `rust-loader --plugin` loads Rust plugins, which import the C library
    // functions their standard library calls from the program.
    let plugin_args = std::env::var("DEP_WASI_DL_RUST_PLUGIN_LINK_ARGS").unwrap_or_default();
    for arg in plugin_args.split_whitespace() {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    // libgreet.so calls back into the program to report its constructor and
    // destructor (see libgreet.c).
    println!("cargo:rustc-link-arg-bins=--export=rust_loader_note");
}
