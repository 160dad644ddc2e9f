//! Build systems cross-building for wasi-dl: the CMake toolchain file
//! (`toolchain/cmake/wasi-dl.cmake`) and the autoconf/libtool `config.site`
//! (`toolchain/autotools/config.site`), each on its example project under `examples/`: a
//! program, a shared library and a plugin that needs another library, run with `wasi-dl run`.
//! Skipped, with a message, when cmake or autoconf/automake/libtool are not installed
//! (`make setup` installs them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::text;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn wasi_dl_exe() -> &'static str {
    env!("CARGO_BIN_EXE_wasi-dl")
}

fn ok(what: &str, output: Output) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({:?}):\n{}{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fresh copy of `examples/<name>` under target/, one per test process (another `cargo
/// test` may be building the same example), kept for inspection after a failure.
fn project(name: &str) -> PathBuf {
    let dir = repo()
        .join("target/cli-tests/buildsys")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("scratch dir");
    for entry in std::fs::read_dir(repo().join("examples").join(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), src.join(entry.file_name())).unwrap();
    }
    dir
}

/// `wasi-dl` in `dir` (with the tests' private cache, see [`common::wasi_dl`]).
fn wasi_dl(dir: &Path) -> Command {
    let mut cmd = common::wasi_dl();
    cmd.current_dir(dir);
    cmd
}

#[test]
fn cmake_builds_side_modules_whose_build_tree_runpaths_work_under_dir_dot() {
    if !have("cmake") {
        eprintln!("skipped: cmake is not installed (make setup installs it)");
        return;
    }
    let dir = project("cmake");
    let build = dir.join("build");
    // Checks link real programs: what wasi-libc lacks is not found.
    let lists = dir.join("src/CMakeLists.txt");
    let mut text_of_lists = std::fs::read_to_string(&lists).unwrap();
    text_of_lists.push_str("include(CheckFunctionExists)\ncheck_function_exists(fork HAVE_FORK)\n");
    std::fs::write(&lists, text_of_lists).unwrap();
    let configure = ok(
        "cmake configure",
        Command::new("cmake")
            .current_dir(&dir)
            .args(["-S", "src", "-B", "build"])
            .arg(format!(
                "-DCMAKE_TOOLCHAIN_FILE={}",
                repo().join("toolchain/cmake/wasi-dl.cmake").display()
            ))
            .arg(format!("-DWASI_DL_EXECUTABLE={}", wasi_dl_exe()))
            .output()
            .unwrap(),
    );
    assert!(
        configure.contains("Looking for dlopen - found")
            && configure.contains("Looking for fork - not found"),
        "{configure}"
    );
    ok(
        "cmake --build",
        Command::new("cmake")
            .current_dir(&dir)
            .args(["--build", "build"])
            .output()
            .unwrap(),
    );

    // SHARED and MODULE are side modules named as on Linux; the executable is .wasm.
    for file in [
        "libgreet.so",
        "libshout.so",
        "plugins/libloud.so",
        "greeter.wasm",
    ] {
        assert!(build.join(file).is_file(), "{file} was not built");
    }
    // The plugin's RUNPATH is relative to it, not CMake's absolute build directory.
    let inspect = ok(
        "inspect",
        wasi_dl(&build)
            .args(["inspect", "--dir", ".", "plugins/libloud.so"])
            .output()
            .unwrap(),
    );
    assert!(
        inspect.contains("  runtime path: $ORIGIN/../\n"),
        "{inspect}"
    );
    assert!(
        inspect.contains("  libshout.so => ./plugins/../libshout.so\n")
            || inspect.contains("  libshout.so => ./libshout.so\n"),
        "{inspect}"
    );

    let out = wasi_dl(&build)
        .args(["run", "--dir", ".", "greeter.wasm"])
        .output()
        .unwrap();
    assert_eq!(
        ok("wasi-dl run", out),
        "hello, world\nhello, PLUGIN\nlibshout.so came with the plugin: yes\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn autotools_and_libtool_build_side_modules_with_the_config_site() {
    let missing: Vec<&str> = ["autoreconf", "automake", "libtoolize"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "skipped: {} not installed (make setup installs autoconf, automake, libtool)",
            missing.join(", ")
        );
        return;
    }
    let dir = project("autotools");
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("m4")).unwrap();
    ok(
        "autoreconf",
        Command::new("autoreconf")
            .current_dir(&src)
            .arg("-fi")
            .output()
            .unwrap(),
    );
    let build = dir.join("build");
    std::fs::create_dir_all(&build).unwrap();
    let configure = ok(
        "configure",
        Command::new(src.join("configure"))
            .current_dir(&build)
            .env(
                "CONFIG_SITE",
                repo().join("toolchain/autotools/config.site"),
            )
            .env("WASI_DL", wasi_dl_exe())
            .env_remove("CC")
            .args(["--host=wasm32-unknown-linux-gnu", "--prefix=/app"])
            .output()
            .unwrap(),
    );
    assert!(
        configure.contains("checking whether to build shared libraries... yes"),
        "{configure}"
    );
    let destdir = format!("DESTDIR={}", build.join("stage").display());
    for args in [&["-s"][..], &["-s", "install", &destdir][..]] {
        ok(
            "make",
            Command::new("make")
                .current_dir(&build)
                .env("WASI_DL", wasi_dl_exe())
                .args(args)
                .output()
                .unwrap(),
        );
    }
    let stage = build.join("stage/app");
    for file in ["lib/libshout.so", "lib/greeter/libloud.so", "bin/greeter"] {
        assert!(stage.join(file).is_file(), "{file} was not installed");
    }
    // Installed as it will run: the plugin finds libshout.so through the libdir libtool
    // recorded (/app/lib, a guest path once /app is granted).
    let out = wasi_dl(&build)
        .args(["run", "--dir", "stage/app::/app", "stage/app/bin/greeter"])
        .output()
        .unwrap();
    assert_eq!(ok("wasi-dl run", out), "hello, PLUGIN\n");
    let _ = std::fs::remove_dir_all(&dir);
}
