//! Rust plugins: `wasi-dl cargo build` turns `examples/rust-plugins/hello` (std, a crates.io
//! dependency) into a side module, which a C program and the Rust guest example load, check,
//! call, close and reopen; output order with the program's own stdio; a panic; refusals.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use common::{ok, text, wasi_dl};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository")
}

/// A scratch directory under target/cli-tests/rust-plugins (kept for inspection after a
/// failure), canonical as the paths `wasi-dl cargo build` prints.
fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("rust-plugins/{name}"))
        .canonicalize()
        .expect("scratch dir")
}

/// The example plugin's crate, and where its builds go (not into the source tree).
fn hello_crate() -> PathBuf {
    root().join("examples/rust-plugins/hello")
}

fn target_dir() -> PathBuf {
    root().join("target/cli-tests/rust-plugins-target")
}

/// `wasi-dl cargo build --release` of the example, once per test run: the printed path.
fn hello_so() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let stdout = ok(wasi_dl()
            .current_dir(hello_crate())
            .args(["cargo", "build", "--release", "--target-dir"])
            .arg(target_dir())
            .output()
            .unwrap());
        let path = PathBuf::from(stdout.lines().last().unwrap_or_default());
        assert!(
            path.ends_with("wasm32-wasip1/release/libhello.so"),
            "{stdout}"
        );
        assert!(path.is_file(), "{}", path.display());
        path
    })
}

/// A directory with libhello.so and the C program built from examples/rust-plugins/main.c.
fn c_program(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::copy(hello_so(), dir.join("libhello.so")).unwrap();
    ok(wasi_dl()
        .current_dir(&dir)
        .args(["cc", "-O2", "-Wall", "-Werror"])
        .arg(root().join("examples/rust-plugins/main.c"))
        .args(["-o", "main.wasm"])
        .output()
        .unwrap());
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    wasi_dl()
        .current_dir(dir)
        .args(["run", "--dir", ".::/p"])
        .args(args)
        .output()
        .unwrap()
}

const C_TOUR: &str = r#"round 1: plugin hello 0.1.0, 5 entry points
  hello_add: extern "C" fn(i32, i32) -> i32
  hello_greet: unsafe extern "C" fn(*const c_char) -> u32
  hello_count_words: unsafe extern "C" fn(*const c_char) -> u32
  hello_decimal: unsafe extern "C" fn(u64, *mut u8, usize) -> usize
  hello_panic: extern "C" fn(i32) -> i32
add(40, 2) = 42
greet: [Hello, C!] greeting 1
greet: [Hello, again!] greeting 2
hello: most frequent word "the" (3 times)
distinct words: 5
decimal: 18446744073709551615 (20 digits)
round 2: plugin hello 0.1.0, 5 entry points
add(40, 2) = 42
greet: [Hello, C!] greeting 1
greet: [Hello, again!] greeting 2
hello: most frequent word "the" (3 times)
distinct words: 5
decimal: 18446744073709551615 (20 digits)
done
"#;

/// The C program's stdout is a pipe here (fully buffered), the plugin writes through its own
/// Rust stdout: `greet: [Hello, C!] greeting 1` comes out in that order only because the
/// entry points flush the program's streams before and their own after. Round 2 runs after
/// dlclose, in a fresh load (the greeting count starts again). itoa (crates.io) formats
/// the decimal.
#[test]
fn c_program_loads_checks_closes_and_reopens_a_rust_plugin() {
    let dir = c_program("c");
    let out = run(&dir, &["main.wasm", "/p/libhello.so"]);
    assert_eq!(ok(out), C_TOUR);
}

#[test]
fn a_panicking_plugin_traps_after_the_output_before_it() {
    let dir = c_program("panic");
    let out = run(&dir, &["main.wasm", "/p/libhello.so", "panic"]);
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    // What the program printf-ed before the call is out (the entry point flushed it), even
    // though the trap skips exit()'s flush.
    assert_eq!(
        text(&out.stdout),
        "calling hello_panic(0): 0\ncalling hello_panic(7)\n"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("panicked at") && stderr.contains("hello_panic called with 7"),
        "{stderr}"
    );
}

const FAKE_PLUGIN: &str = r#"
#include <wasi_dl/plugin.h>
/* A descriptor of a future ABI version. */
const struct wasi_dl_plugin __wasi_dl_plugin = {
    WASI_DL_PLUGIN_MAGIC, WASI_DL_PLUGIN_ABI_VERSION + 1, "fake", "9.9.9", 0, 0,
};
int fake_entry(void) { return 1; }
"#;

const NOT_A_PLUGIN: &str = "int plain(void) { return 1; }\n";

fn side_module(dir: &Path, name: &str, source: &str) {
    std::fs::write(dir.join(format!("{name}.c")), source).unwrap();
    ok(wasi_dl()
        .current_dir(dir)
        .args(["cc", "-O2", "-fPIC", "-shared"])
        .arg(format!("{name}.c"))
        .arg("-o")
        .arg(format!("{name}.so"))
        .output()
        .unwrap());
}

#[test]
fn c_program_refuses_a_plugin_of_another_abi_version() {
    let dir = c_program("c-abi");
    side_module(&dir, "libfake", FAKE_PLUGIN);
    side_module(&dir, "libplain", NOT_A_PLUGIN);
    let out = run(&dir, &["main.wasm", "/p/libfake.so"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "plugin: wasi-dl plugin of another ABI version: rebuild it against this wasi-dl\n"
    );
    let out = run(&dir, &["main.wasm", "/p/libplain.so"]);
    assert_eq!(
        text(&out.stdout),
        "plugin: not a wasi-dl plugin (no __wasi_dl_plugin symbol)\n"
    );
}

/// guest/examples/rust-loader, built by `make guest`.
fn rust_loader(dir: &Path) {
    let program = root().join("guest/target/wasm32-wasip1/release/rust-loader.wasm");
    assert!(
        program.is_file(),
        "{} is missing: run `make guest`",
        program.display()
    );
    std::fs::copy(&program, dir.join("rust-loader.wasm")).unwrap();
}

const RUST_TOUR: &str = r#"round 1: plugin hello 0.1.0
hello_add(40, 2) = 42
refused: plugin hello: entry point hello_add is `extern "C" fn(i32, i32) -> i32`, not `extern "C" fn(i64, i64) -> i64`
refused: plugin hello: entry point hello_greet is `unsafe extern "C" fn(*const c_char) -> u32`, not `extern "C" fn(*const i8) -> u32`
refused: plugin hello: no entry point hello_missing
greet: [Hello, Rust!] greeting 1
hello: most frequent word "be" (2 times)
distinct words: 4
decimal: 6148914691236517205 (19 digits)
round 2: plugin hello 0.1.0
hello_add(40, 2) = 42
greet: [Hello, Rust!] greeting 1
hello: most frequent word "be" (2 times)
distinct words: 4
decimal: 6148914691236517205 (19 digits)
"#;

/// The Rust guest example through the safe API: `Library::plugin` checks the descriptor,
/// `Plugin::get` each entry point's type; two rounds with a dlclose between.
#[test]
fn rust_program_loads_checks_closes_and_reopens_a_rust_plugin() {
    let dir = scratch("rust");
    rust_loader(&dir);
    std::fs::copy(hello_so(), dir.join("libhello.so")).unwrap();
    let out = run(&dir, &["rust-loader.wasm", "--plugin", "/p/libhello.so"]);
    assert_eq!(ok(out), RUST_TOUR);
}

#[test]
fn rust_program_refuses_what_is_not_a_plugin_of_its_abi() {
    let dir = scratch("rust-abi");
    rust_loader(&dir);
    side_module(&dir, "libfake", FAKE_PLUGIN);
    side_module(&dir, "libplain", NOT_A_PLUGIN);
    let out = run(
        &dir,
        &[
            "rust-loader.wasm",
            "--plugin",
            "/p/libfake.so",
            "/p/libplain.so",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "rust-loader: /p/libfake.so: wasi-dl plugin ABI version 2 (this program supports version 1): \
         rebuild the plugin against the wasi-dl-plugin crate this program was built with\n\
         rust-loader: not a wasi-dl plugin: /p/libplain.so: undefined symbol: __wasi_dl_plugin\n"
    );
}

/// A crate of its own in a scratch directory (inside the repository, so rustup uses the
/// project's toolchain).
fn crate_dir(name: &str, manifest_extra: &str, lib_rs: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{manifest_extra}\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
    dir
}

#[test]
fn thin_lto_is_refused_before_building() {
    let dir = crate_dir(
        "thin",
        "[lib]\ncrate-type = [\"cdylib\"]\n\n[profile.release]\nlto = \"thin\"\n",
        "#[no_mangle]\npub extern \"C\" fn f() -> i32 { 1 }\n",
    );
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["cargo", "build", "--release"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("profile `release` asks for lto = \"thin\"")
            && stderr.contains("Cargo.toml")
            && stderr.contains("needs fat LTO"),
        "{stderr}"
    );
    assert!(!dir.join("target").exists(), "cargo ran anyway");
    // The environment counts too, and so does a profile that inherits the setting.
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["cargo", "build"])
        .env("CARGO_PROFILE_DEV_LTO", "thin")
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("CARGO_PROFILE_DEV_LTO"),
        "{}",
        text(&out.stderr)
    );
}

/// Without --release: the dev profile with fat LTO makes a side module too.
#[test]
fn a_debug_build_is_a_side_module_too() {
    let dir = crate_dir(
        "debugplugin",
        "[lib]\ncrate-type = [\"cdylib\"]\n",
        "#[no_mangle]\npub extern \"C\" fn twice(x: i32) -> i32 {\n    let v: Vec<i32> = vec![x; 2];\n    println!(\"debugplugin: {v:?}\");\n    v.iter().sum()\n}\n",
    );
    let stdout = ok(wasi_dl()
        .current_dir(&dir)
        .args(["cargo", "build"])
        .output()
        .unwrap());
    let so = dir.join("target/wasm32-wasip1/debug/libdebugplugin.so");
    assert_eq!(stdout, format!("{}\n", so.display()));
    let inspected = ok(wasi_dl().arg("inspect").arg(&so).output().unwrap());
    assert!(inspected.contains("T twice"), "{inspected}");
}

#[test]
fn a_crate_without_a_cdylib_is_explained() {
    let dir = crate_dir("rlibonly", "", "pub fn f() -> i32 { 1 }\n");
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["cargo", "build", "--release"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("crate-type = [\"cdylib\"]"),
        "{}",
        text(&out.stderr)
    );
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["cargo", "test"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("only `wasi-dl cargo build` is supported"),
        "{}",
        text(&out.stderr)
    );
}
