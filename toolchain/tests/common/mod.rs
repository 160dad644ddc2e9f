//! Shared helpers for the integration tests: a toolchain (or a printed skip),
//! a stand-in guest sysroot, wasm inspection, and running main programs.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use wasi_dl_toolchain::{Driver, GuestSysroot, Toolchain};
use wasmparser::{Dylink0Subsection, KnownCustom, Parser, Payload};

/// The detected toolchain, or `None` after printing why the test is skipped.
pub fn toolchain(test: &str) -> Option<Toolchain> {
    match Toolchain::detect() {
        Ok(tc) => Some(tc),
        Err(e) => {
            eprintln!("SKIPPED {test}: no wasm toolchain installed ({e:#})");
            None
        }
    }
}

pub fn repo_headers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../c-headers")
}

/// The stand-in for the guest library: the contract symbols, `_start`, and the
/// stack-protector symbols, in one start-up object (`lib/wasi_dl_standin.o`),
/// plus an empty `libwasi_dl.a`. Functions do nothing useful except
/// `__wasi_dl_alloc`/`__wasi_dl_free`.
pub const STANDIN_C: &str = r#"
#include <stdint.h>
#include <stdlib.h>
void *__wasi_dl_alloc(int32_t size, int32_t align) {
    void *p = 0;
    if (align < (int32_t)sizeof(void *)) align = sizeof(void *);
    return posix_memalign(&p, (size_t)align, (size_t)size) ? 0 : p;
}
void __wasi_dl_free(void *p) { free(p); }
int32_t __wasi_dl_cxa_atexit(void (*f)(void *), void *arg, void *dso) { return 0; }
int32_t __wasi_dl_atexit(void (*f)(void), void *dso) { return 0; }
void __wasi_dl_finalize(uint32_t base, uint32_t end) {}
void __wasi_dl_late_destructor(uint32_t base, uint32_t end, uint32_t slot) {}
void *__wasi_dl_open_from(const char *f, int m, const void *c) { return 0; }
void *__wasi_dl_sym_from(void *h, const char *n, const void *c) { return 0; }
void *dlopen(const char *f, int m) { return 0; }
void *dlsym(void *h, const char *n) { return 0; }
int dlclose(void *h) { return 0; }
char *dlerror(void) { return "stand-in"; }
int dladdr(const void *a, void *info) { return 0; }
void *dlmopen(long l, const char *f, int m) { return 0; }
void *dlvsym(void *h, const char *n, const char *v) { return 0; }
int dlinfo(void *h, int r, void *a) { return -1; }
uintptr_t __stack_chk_guard = 0x5a5a1234;
void __stack_chk_fail(void) { abort(); }
extern void __wasm_call_ctors(void);
extern int __main_void(void);
void _start(void) { __wasm_call_ctors(); exit(__main_void()); }
"#;

/// Builds the stand-in guest sysroot under `dir` and returns `toolchain` using it
/// (with its own cache directory under `dir`).
pub fn with_standin(toolchain: Toolchain, dir: &Path) -> Toolchain {
    let root = dir.join("standin-sysroot");
    let include = root.join("include");
    std::fs::create_dir_all(include.join("wasi_dl")).unwrap();
    std::fs::create_dir_all(root.join("lib")).unwrap();
    for h in ["dlfcn.h", "wasi_dl/wasi_dl.h"] {
        std::fs::copy(repo_headers().join(h), include.join(h)).unwrap();
    }
    let src = dir.join("standin.c");
    std::fs::write(&src, STANDIN_C).unwrap();
    let status = toolchain
        .clang_command()
        .args(["-O2", "-fvisibility=default", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(root.join("lib/wasi_dl_standin.o"))
        .status()
        .unwrap();
    assert!(status.success(), "compiling the stand-in failed");
    std::fs::write(root.join("lib/libwasi_dl.a"), b"!<arch>\n").unwrap();
    toolchain
        .with_guest_sysroot(GuestSysroot::new(root))
        .with_cache_dir(dir.join("cache"))
}

pub fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs the driver in `dir` (as `wasi-dl cc` would, from there), asserting success.
pub fn cc_in(driver: &Driver, dir: &Path, args: &[&str]) {
    let inv = driver.clone().current_dir(dir).plan(&os(args)).unwrap();
    let out = inv.command().output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        inv.command_line(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(Default, Debug)]
pub struct WasmInfo {
    pub exports: BTreeSet<String>,
    /// "module.name"
    pub imports: BTreeSet<String>,
    pub custom_sections: Vec<String>,
    pub needed: Vec<String>,
    pub runtime_path: Vec<String>,
    /// Index of the dylink.0 section among all sections (must be 0).
    pub dylink_position: Option<usize>,
    /// Function names from the `name` section.
    pub function_names: Vec<String>,
    /// (initial, maximum) of each defined table.
    pub tables: Vec<(u64, Option<u64>)>,
    /// Exported (name, kind) with kind "func", "table", "memory", "global".
    pub export_kinds: Vec<(String, &'static str)>,
}

pub fn inspect(path: &Path) -> WasmInfo {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut info = WasmInfo::default();
    let mut section = 0;
    for payload in Parser::new(0).parse_all(&bytes) {
        let payload = payload.unwrap();
        match &payload {
            Payload::CustomSection(c) => {
                info.custom_sections.push(c.name().to_string());
                if let KnownCustom::Name(names) = c.as_known() {
                    for n in names {
                        if let wasmparser::Name::Function(map) = n.unwrap() {
                            for naming in map {
                                info.function_names.push(naming.unwrap().name.to_string());
                            }
                        }
                    }
                }
                if let KnownCustom::Dylink0(reader) = c.as_known() {
                    info.dylink_position = Some(section);
                    for sub in reader {
                        match sub.unwrap() {
                            Dylink0Subsection::Needed(n) => {
                                info.needed.extend(n.iter().map(|s| s.to_string()))
                            }
                            Dylink0Subsection::RuntimePath(r) => {
                                info.runtime_path.extend(r.iter().map(|s| s.to_string()))
                            }
                            _ => {}
                        }
                    }
                }
            }
            Payload::ImportSection(r) => {
                for i in r.clone().into_imports() {
                    let i = i.unwrap();
                    info.imports.insert(format!("{}.{}", i.module, i.name));
                }
            }
            Payload::ExportSection(r) => {
                for e in r.clone() {
                    let e = e.unwrap();
                    info.exports.insert(e.name.to_string());
                    let kind = match e.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            "func"
                        }
                        wasmparser::ExternalKind::Table => "table",
                        wasmparser::ExternalKind::Memory => "memory",
                        wasmparser::ExternalKind::Global => "global",
                        wasmparser::ExternalKind::Tag => "tag",
                    };
                    info.export_kinds.push((e.name.to_string(), kind));
                }
            }
            Payload::TableSection(r) => {
                for t in r.clone() {
                    let t = t.unwrap();
                    info.tables.push((t.ty.initial, t.ty.maximum));
                }
            }
            _ => {}
        }
        if payload.as_section().is_some() {
            section += 1;
        }
    }
    info
}

/// Runs a main program's `_start` under wasmtime (WASI preview 1) and returns
/// (exit code, stdout). Imports other than WASI trap if called. Panics on a trap.
pub fn run_main(wasm: &Path) -> (i32, String) {
    try_run_main(wasm).unwrap_or_else(|trap| panic!("{} trapped: {trap}", wasm.display()))
}

/// [`run_main`] for a test that expects a trap: `Err` holds the trap's text and the stdout
/// written before it.
pub fn try_run_main(wasm: &Path) -> Result<(i32, String), String> {
    use wasmtime::{Engine, Linker, Module, Store};
    use wasmtime_wasi::p1::WasiP1Ctx;
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    let engine = Engine::default();
    let module = Module::from_file(&engine, wasm).unwrap();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
    linker.define_unknown_imports_as_traps(&module).unwrap();
    let stdout = MemoryOutputPipe::new(1 << 20);
    let wasi = wasmtime_wasi::WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .args(&["main"])
        .build_p1();
    let mut store = Store::new(&engine, wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    let out = || String::from_utf8_lossy(&stdout.contents()).into_owned();
    match start.call(&mut store, ()) {
        Ok(()) => Ok((0, out())),
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => Ok((exit.0, out())),
            None => Err(format!("{e:?}\nstdout: {}", out())),
        },
    }
}
