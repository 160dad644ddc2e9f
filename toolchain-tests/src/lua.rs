//! Lua as a model user of setjmp/longjmp across modules: the interpreter, built from the
//! `lua-src` crate's C sources with `wasi-dl cc` (no setjmp shim), runs a script whose
//! `require` loads a C module with dlopen; errors the module raises (`luaL_error` longjmps to
//! the program's `setjmp`) must be caught by `pcall`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::compile::{run_cached, Target};
use crate::run;

/// The Lua 5.4 sources inside the `lua-src` crate this crate depends on (found with
/// `cargo metadata`, so the version is the one Cargo.lock pins).
fn lua_source_dir() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let package = meta["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "lua-src"))
        .context("lua-src is not among this crate's dependencies")?;
    let crate_dir = Path::new(package["manifest_path"].as_str().context("manifest_path")?)
        .parent()
        .context("lua-src's directory")?
        .to_path_buf();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&crate_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("lua-5.4"))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .with_context(|| format!("no lua-5.4 sources in {}", crate_dir.display()))
}

pub fn pcall_through_c_module() -> Result<()> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("lua");
    let lua = lua_source_dir()?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchain-tests/lua");
    std::fs::create_dir_all(&dir)?;
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&lua)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    let include = format!("-I{}", lua.display());
    // POSIX Lua as lua-src builds it for WASI, with dlopen for C modules.
    let flags = [
        "-O2",
        "-DLUA_USE_POSIX",
        "-DLUA_USE_DLOPEN",
        "-D_WASI_EMULATED_SIGNAL",
        "-w",
    ];

    let mut args: Vec<OsString> = flags.iter().map(OsString::from).collect();
    args.push(include.clone().into());
    args.push(here.join("host.c").into());
    args.extend(sources.iter().map(OsString::from));
    args.extend(["-lwasi-emulated-signal", "-o", "lua.wasm"].map(OsString::from));
    let mut inputs = sources.clone();
    inputs.push(here.join("host.c"));
    run_cached(Target::Wasm, false, &args, &inputs, &dir, "lua.wasm", 0)?;

    let mut args: Vec<OsString> = ["-O2", "-fPIC", "-shared"].map(OsString::from).to_vec();
    args.push(include.into());
    args.push(here.join("cmod.c").into());
    args.extend(["-o", "cmod.so"].map(OsString::from));
    run_cached(
        Target::Wasm,
        false,
        &args,
        &[here.join("cmod.c")],
        &dir,
        "cmod.so",
        0,
    )?;

    std::fs::copy(here.join("test.lua"), dir.join("test.lua"))?;
    let expected = std::fs::read_to_string(here.join("expected"))?;
    let out = run::run_wasm(&dir, "lua.wasm", &["test.lua".to_string()])?;
    if out.stdout != expected || out.code != 0 {
        bail!(
            "exit {}\n{}\nstderr:\n{}",
            out.code,
            crate::diff(&expected, &out.stdout),
            out.stderr
        );
    }
    Ok(())
}
