//! The `async_embedder` example, its code included as a module: `make demo`'s `textkit` and
//! its four plugins, built with the project's toolchain, run as three concurrent guests on a
//! multi-threaded tokio runtime with async WASI, wasi-dl added with `add_to_linker_async` and
//! a yield at every epoch tick (every millisecond). Each guest loads, calls and unloads every
//! plugin, with the output `make demo` gives.

use std::path::Path;

use wasi_dl_toolchain::{Build, MainOptions, SideOptions};

#[path = "../examples/async_embedder.rs"]
#[allow(dead_code)]
mod example;

const PLUGINS: [&str; 4] = ["rot13", "sortwords", "stats", "upper"];

/// Builds textkit and its plugins into `target/host-tests/async-embedder` (program, plugins/).
fn build_demo() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = root.join("examples/demo");
    let out = root.join("target/host-tests/async-embedder");
    let plugins = out.join("plugins");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&plugins).unwrap();
    let build = Build::new().expect("the wasm C toolchain (run `make setup` and `make guest`)");
    let include = vec!["-O1".into(), "-I".into(), src.clone().into_os_string()];
    build
        .main_program(
            &[&src.join("textkit.c")],
            &out.join("textkit.wasm"),
            &MainOptions {
                extra_args: include.clone(),
                ..Default::default()
            },
        )
        .expect("building textkit.wasm");
    for name in PLUGINS {
        build
            .side_module(
                &[&src.join(format!("plugins/{name}.c"))],
                &plugins.join(format!("lib{name}.so")),
                &SideOptions {
                    extra_args: include.clone(),
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("building lib{name}.so: {e:#}"));
    }
    out
}

#[test]
fn concurrent_async_guests_load_their_plugins() {
    let out = build_demo();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let outcomes = runtime
        .block_on(example::run_guests(
            &out.join("textkit.wasm"),
            &out.join("plugins"),
            &["Hello plugin world".to_string()],
            3,
        ))
        .unwrap();
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes {
        assert_eq!(outcome.status, 0, "{}", outcome.stdout);
        for line in [
            "textkit: 4 plugins in /plugins\n",
            "rot13: rotate letters by 13 (from /plugins/librot13.so)\n    => Uryyb cyhtva jbeyq\n",
            "    [sortwords] sorted 3 words\n    => Hello plugin world\n",
            "    [stats] loaded\nstats: count words, letters and vowels (from /plugins/libstats.so)\n    => 3 words, 16 letters, 5 vowels (call 1)\n\n    [stats] unloaded\n",
            "upper: capital letters (from /plugins/libupper.so)\n    => HELLO PLUGIN WORLD\n",
        ] {
            assert!(
                outcome.stdout.contains(line),
                "missing {line:?} in:\n{}",
                outcome.stdout
            );
        }
    }
}
