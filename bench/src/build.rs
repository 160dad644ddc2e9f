//! Builds the benchmark's C programs and libraries twice: with the wasi-dl toolchain (the
//! `wasi-dl cc` driver, through `wasi_dl_toolchain::Build`) and with gcc. Every step is skipped
//! when a stamp (a hash of its command line, its inputs and the guest library) says its output
//! is up to date.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use wasi_dl_toolchain::{Build, ExportMode, GuestSysroot, MainOptions, SideOptions, Toolchain};

use crate::gen;

const BENCH_C: &str = include_str!("../c/bench.c");
const WORK_H: &str = include_str!("../c/work.h");
const LIBBENCH_C: &str = include_str!("../c/libbench.c");
const LIBTINY_C: &str = include_str!("../c/libtiny.c");

/// The value `libtiny.c` initialises `tiny_id` with; copy `i` gets `TINY_MAGIC + i`.
const TINY_MAGIC: u32 = 0x5EED_0000;

/// What was built, and where.
pub struct Built {
    /// Run directory of the wasm program: `bench.wasm`, `libbench.so`, `libbig.so`, `tiny/`.
    pub wasm_dir: PathBuf,
    /// Run directory of the native program: `bench`, `libbench.so`, `libbig.so`.
    pub native_dir: PathBuf,
    /// Size of the wasm `libbig.so`, in bytes.
    pub big_wasm_bytes: u64,
    /// Size of the wasm `libbench.so`, in bytes.
    pub small_wasm_bytes: u64,
    /// The toolchain's description.
    pub toolchain: String,
    /// The demo (`examples/demo`): `textkit.wasm` and `plugins/lib*.so` for `wasi-dl run`.
    pub demo_wasm_dir: PathBuf,
    /// The same demo built with gcc: `textkit` and `plugins/lib*.so`.
    pub demo_native_dir: PathBuf,
}

/// Builds everything under `root` (`root/wasm`, `root/native`).
pub fn build_all(root: &Path, big_functions: usize, tiny_libs: usize) -> Result<Built> {
    let wasm_dir = root.join("wasm");
    let native_dir = root.join("native");
    let src_dir = root.join("src");
    for dir in [&wasm_dir, &native_dir, &src_dir, &wasm_dir.join("tiny")] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_if_changed(&src_dir.join("bench.c"), BENCH_C)?;
    write_if_changed(&src_dir.join("work.h"), WORK_H)?;
    write_if_changed(&src_dir.join("libbench.c"), LIBBENCH_C)?;
    write_if_changed(&src_dir.join("libtiny.c"), LIBTINY_C)?;
    write_if_changed(&src_dir.join("libbig.c"), &gen::big_library(big_functions))?;

    let mut toolchain =
        Toolchain::detect().context("the wasm C toolchain (run `make setup` and `make guest`)")?;
    if std::env::var_os("WASI_DL_SYSROOT").is_none_or(|v| v.is_empty()) {
        // This repository's sysroot (`make guest`), whichever checkout the toolchain crate
        // was built from.
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new(".."));
        toolchain = toolchain.with_guest_sysroot(GuestSysroot::new(
            repo.join("target").join("wasi-dl-sysroot"),
        ));
    }
    let build = Build::with_toolchain(toolchain);
    let toolchain = build.toolchain().describe();
    let guest_lib = build.toolchain().guest_sysroot().library().ok();
    let include = OsString::from(format!("-I{}", src_dir.display()));
    let o2 = || vec![OsString::from("-O2"), include.clone()];

    // wasm side modules.
    let side = SideOptions {
        extra_args: o2(),
        ..Default::default()
    };
    for (src, out) in [
        ("libbench.c", "libbench.so"),
        ("libbig.c", "libbig.so"),
        ("libtiny.c", "libtiny.so"),
    ] {
        let src = src_dir.join(src);
        let out = wasm_dir.join(out);
        let args = build.side_module_args(&[&src], &out, &side);
        cached(&out, &args, &[&src, &src_dir.join("work.h")], None, || {
            build.run(&args)
        })?;
    }
    // The wasm program, in slim mode: it exports what these side modules import.
    let main_opts = MainOptions {
        exports: ExportMode::Slim,
        side_modules: ["libbench.so", "libbig.so", "libtiny.so"]
            .iter()
            .map(|n| wasm_dir.join(n))
            .collect(),
        extra_args: o2(),
    };
    let bench_c = src_dir.join("bench.c");
    let bench_wasm = wasm_dir.join("bench.wasm");
    let args = build.main_program_args(&[&bench_c], &bench_wasm, &main_opts);
    let mut inputs: Vec<PathBuf> = vec![bench_c.clone(), src_dir.join("work.h")];
    inputs.extend(main_opts.side_modules.iter().cloned());
    // The start-up objects are linked in too: a new one (`make guest`) rebuilds the program.
    inputs.extend(build.toolchain().guest_sysroot().start_objects());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    cached(
        &bench_wasm,
        &args,
        &input_refs,
        guest_lib.as_deref(),
        || build.run(&args),
    )?;
    make_tiny_copies(
        &wasm_dir.join("libtiny.so"),
        &wasm_dir.join("tiny"),
        tiny_libs,
    )?;

    // Native: the same sources with gcc.
    for (src, out) in [("libbench.c", "libbench.so"), ("libbig.c", "libbig.so")] {
        let src = src_dir.join(src);
        let out = native_dir.join(out);
        let args: Vec<OsString> = vec![
            "-O2".into(),
            "-fPIC".into(),
            "-shared".into(),
            include.clone(),
            src.clone().into(),
            "-o".into(),
            out.clone().into(),
        ];
        cached(&out, &args, &[&src, &src_dir.join("work.h")], None, || {
            gcc(&args)
        })?;
    }
    let bench_native = native_dir.join("bench");
    let args: Vec<OsString> = vec![
        "-O2".into(),
        include.clone(),
        bench_c.clone().into(),
        "-o".into(),
        bench_native.clone().into(),
        "-rdynamic".into(),
        "-ldl".into(),
    ];
    cached(
        &bench_native,
        &args,
        &[&bench_c, &src_dir.join("work.h")],
        None,
        || gcc(&args),
    )?;

    // The demo, both ways, as `make demo` builds it (default exports).
    let demo_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo");
    let demo_wasm_dir = root.join("demo-wasm");
    let demo_native_dir = root.join("demo-native");
    for dir in [&demo_wasm_dir, &demo_native_dir] {
        std::fs::create_dir_all(dir.join("plugins"))
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let demo_include = OsString::from(format!("-I{}", demo_src.display()));
    let header = demo_src.join("textkit.h");
    let mut plugins: Vec<PathBuf> = std::fs::read_dir(demo_src.join("plugins"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    plugins.sort();
    for plugin in &plugins {
        let stem = plugin.file_stem().unwrap_or_default().to_string_lossy();
        let lib = format!("plugins/lib{stem}.so");
        let out = demo_wasm_dir.join(&lib);
        let side = SideOptions {
            extra_args: vec!["-O2".into()],
            ..Default::default()
        };
        let args = build.side_module_args(&[plugin], &out, &side);
        cached(&out, &args, &[plugin, &header], None, || build.run(&args))?;
        let out = demo_native_dir.join(&lib);
        let args: Vec<OsString> = vec![
            "-O2".into(),
            "-fPIC".into(),
            "-shared".into(),
            plugin.clone().into(),
            "-o".into(),
            out.clone().into(),
        ];
        cached(&out, &args, &[plugin, &header], None, || gcc(&args))?;
    }
    let textkit_c = demo_src.join("textkit.c");
    let out = demo_wasm_dir.join("textkit.wasm");
    let main_opts = MainOptions {
        extra_args: vec!["-O2".into(), demo_include.clone()],
        ..Default::default()
    };
    let args = build.main_program_args(&[&textkit_c], &out, &main_opts);
    let mut inputs: Vec<PathBuf> = vec![textkit_c.clone(), header.clone()];
    inputs.extend(build.toolchain().guest_sysroot().start_objects());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    cached(&out, &args, &input_refs, guest_lib.as_deref(), || {
        build.run(&args)
    })?;
    let out = demo_native_dir.join("textkit");
    let args: Vec<OsString> = vec![
        "-O2".into(),
        demo_include,
        textkit_c.clone().into(),
        "-o".into(),
        out.clone().into(),
        "-rdynamic".into(),
        "-ldl".into(),
    ];
    cached(&out, &args, &[&textkit_c, &header], None, || gcc(&args))?;

    Ok(Built {
        demo_wasm_dir,
        demo_native_dir,
        big_wasm_bytes: std::fs::metadata(wasm_dir.join("libbig.so"))?.len(),
        small_wasm_bytes: std::fs::metadata(wasm_dir.join("libbench.so"))?.len(),
        wasm_dir,
        native_dir,
        toolchain,
    })
}

fn gcc(args: &[OsString]) -> Result<()> {
    let output = Command::new("gcc")
        .args(args)
        .output()
        .context("cannot run gcc")?;
    if !output.status.success() {
        bail!(
            "gcc {:?} failed:\n{}",
            args,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
        return Ok(());
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Runs `step` unless `out` exists with a stamp matching `args` and the inputs' contents.
fn cached(
    out: &Path,
    args: &[OsString],
    inputs: &[&Path],
    extra: Option<&Path>,
    step: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let mut hash = Sha256::new();
    hash.update(format!("{args:?}"));
    for input in inputs.iter().copied().chain(extra) {
        hash.update(std::fs::read(input).with_context(|| format!("reading {}", input.display()))?);
    }
    let stamp_value: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = out.with_file_name(format!(".{name}.stamp"));
    if out.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == stamp_value) {
        return Ok(());
    }
    step().with_context(|| format!("building {}", out.display()))?;
    std::fs::write(&stamp, stamp_value)?;
    Ok(())
}

/// Writes `tiny/libtiny_NNNN.so` for `0..count`: `libtiny.so` with its `tiny_id` initial value
/// replaced (the four bytes of `TINY_MAGIC`, which occur exactly once: in the data segment).
fn make_tiny_copies(template: &Path, dir: &Path, count: usize) -> Result<()> {
    let bytes = std::fs::read(template)?;
    let magic = TINY_MAGIC.to_le_bytes();
    let hits: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == magic)
        .map(|(i, _)| i)
        .collect();
    let [at] = hits[..] else {
        bail!(
            "{}: expected the value {TINY_MAGIC:#x} exactly once, found it {} times",
            template.display(),
            hits.len()
        );
    };
    for i in 0..count {
        let mut copy = bytes.clone();
        copy[at..at + 4].copy_from_slice(&(TINY_MAGIC + i as u32).to_le_bytes());
        let path = dir.join(format!("libtiny_{i:04}.so"));
        if std::fs::read(&path).is_ok_and(|b| b == copy) {
            continue;
        }
        std::fs::write(&path, copy)?;
    }
    Ok(())
}
