//! The wasm C toolchain for wasi-dl: finds clang (a wasi-sdk or Debian's
//! `clang-19`), and knows the flags that make a main program that can
//! `dlopen` and side modules it can load.
//!
//! - [`Toolchain::detect`]: the one place that decides which compiler, target
//!   and sysroot are used, and where the wasi-dl guest library is.
//! - [`cc`] / [`cxx`] (`wasi-dl cc`, `wasi-dl c++`): a drop-in compiler driver;
//!   [`Driver::plan`] returns the command without running it. The driver's
//!   rules are documented in the [`driver`] module.
//! - [`Build`]: build side modules and main programs from Rust.
//! - [`libc_exports`], [`cxx_exports`], [`imported_symbols`]: what a main
//!   program exports for its side modules in full and slim mode.
//!
//! Environment: `WASI_SDK_PATH`, `CC_WASM`, `CXX_WASM`, `WASI_DL_SYSROOT`,
//! `WASI_DL_CACHE_DIR` (see [`DetectConfig`]), `WASI_DL_VERBOSE`.
//!
//! ```
//! use std::ffi::OsString;
//! use wasi_dl_toolchain::{DetectConfig, Driver, Toolchain};
//!
//! // Detection never guesses silently: a bad WASI_SDK_PATH is an error.
//! let config = DetectConfig { wasi_sdk_path: Some("/nonexistent".into()), ..Default::default() };
//! let err = Toolchain::detect_with(&config).unwrap_err();
//! assert!(err.to_string().contains("is not a wasi-sdk"));
//!
//! // Plan a compile-only step without running it.
//! if let Ok(toolchain) = Toolchain::detect() {
//!     let args: Vec<OsString> = ["-c", "-O2", "lib.c"].iter().map(OsString::from).collect();
//!     let plan = Driver::new(toolchain).plan(&args).unwrap();
//!     assert!(plan.args().iter().any(|a| a == "-fvisibility=default"));
//! }
//! ```

mod archive;
pub mod atomic_file;
mod builder;
mod detect;
pub mod driver;
mod includes;
mod libc_exports;
mod side_modules;

pub use builder::{build_main_program, build_side_module, Build, MainOptions, SideOptions};
pub use detect::{DetectConfig, GuestSysroot, Toolchain, ToolchainKind, EMULATION_LIBRARIES};
pub use driver::{
    Driver, ExportMode, Invocation, CONTRACT_EXPORTS, CXX_EH_EXPORTS, OWN_SECTION, SETJMP_EXPORTS,
};
pub use includes::{include_dirs, IncludeDirs};
pub use libc_exports::{cxx_exports, emulation_exports, guest_exports, libc_exports, LibcExports};
pub use side_modules::{imported_symbols, read_side_module, ImportedSymbols, SideModuleInfo};

use anyhow::Result;
use std::ffi::OsString;
use std::process::{Command, ExitStatus};

/// `wasi-dl cc ARGS`: detects the toolchain, then compiles/links `args` as
/// clang would, for wasi-dl (see [`driver`]). Returns clang's exit status.
pub fn cc(args: &[OsString]) -> Result<ExitStatus> {
    Driver::new(Toolchain::detect()?).run(args)
}

/// `wasi-dl c++ ARGS`: [`cc`] with clang++.
pub fn cxx(args: &[OsString]) -> Result<ExitStatus> {
    Driver::new(Toolchain::detect()?).cxx(true).run(args)
}

/// The command [`cc`] (or, with `cxx`, [`cxx`]) would run, without running it.
pub fn cc_command(args: &[OsString], cxx: bool) -> Result<Command> {
    Driver::new(Toolchain::detect()?).cxx(cxx).command(args)
}

/// The planned run of [`cc`] (or, with `cxx`, [`cxx`]) in `dir`, for a caller that runs
/// [`Invocation::command`] itself: call [`Invocation::finish_link`] after a successful run, as
/// [`cc`] does.
pub fn cc_plan_in(args: &[OsString], cxx: bool, dir: &std::path::Path) -> Result<Invocation> {
    Driver::new(Toolchain::detect()?)
        .cxx(cxx)
        .current_dir(dir)
        .plan(args)
}

/// [`cc_command`] for a build that runs in `dir`: relative `-L` directories and library
/// paths are looked at from there (the command's working directory is set to it too).
pub fn cc_command_in(args: &[OsString], cxx: bool, dir: &std::path::Path) -> Result<Command> {
    let mut cmd = Driver::new(Toolchain::detect()?)
        .cxx(cxx)
        .current_dir(dir)
        .command(args)?;
    cmd.current_dir(dir);
    Ok(cmd)
}
