//! Building side modules and main programs from Rust (the test harness and
//! the benchmarks): the same code path as `wasi-dl cc`, with errors that carry
//! the command line and clang's stderr.

use crate::detect::Toolchain;
use crate::driver::{Driver, ExportMode};
use anyhow::{bail, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Options for [`Build::side_module`].
#[derive(Clone, Debug, Default)]
pub struct SideOptions {
    /// Side modules this one links against: each is recorded in NEEDED by its
    /// file name (`dir/libbar.so` → `libbar.so`).
    pub needs: Vec<PathBuf>,
    /// RUNTIME_PATH entries (`$ORIGIN` is the library's own directory).
    pub rpath: Vec<String>,
    /// More driver arguments (`-O2`, `-DNAME=1`, `-g`, ...), placed before the sources.
    pub extra_args: Vec<OsString>,
}

/// Options for [`Build::main_program`].
#[derive(Clone, Debug, Default)]
pub struct MainOptions {
    /// Which libc symbols to export for side modules.
    pub exports: ExportMode,
    /// Side modules the program will load: slim mode exports what they (and
    /// the libraries they need) import. Passed as `-mdl-exports-for=`: the
    /// program is not linked against them.
    pub side_modules: Vec<PathBuf>,
    /// More driver arguments, placed before the sources.
    pub extra_args: Vec<OsString>,
}

/// Builds wasi-dl side modules and main programs.
///
/// ```no_run
/// use std::path::Path;
/// use wasi_dl_toolchain::{Build, MainOptions, SideOptions};
///
/// # fn main() -> anyhow::Result<()> {
/// let build = Build::new()?;
/// build.side_module(&[Path::new("lib.c")], Path::new("libfoo.so"), &SideOptions::default())?;
/// build.main_program(&[Path::new("main.c")], Path::new("main.wasm"), &MainOptions::default())?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Build {
    driver: Driver,
}

impl Build {
    /// A C build with the detected toolchain ([`Toolchain::detect`]).
    pub fn new() -> Result<Build> {
        Ok(Build::with_toolchain(Toolchain::detect()?))
    }

    /// A C build with `toolchain`.
    pub fn with_toolchain(toolchain: Toolchain) -> Build {
        Build {
            driver: Driver::new(toolchain),
        }
    }

    /// Compiles with clang++ instead of clang.
    pub fn cxx(mut self, cxx: bool) -> Build {
        self.driver = self.driver.cxx(cxx);
        self
    }

    /// The toolchain in use.
    pub fn toolchain(&self) -> &Toolchain {
        self.driver.toolchain()
    }

    /// The driver arguments [`Build::side_module`] uses.
    pub fn side_module_args(
        &self,
        sources: &[&Path],
        out: &Path,
        opts: &SideOptions,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = opts.extra_args.clone();
        args.push("-shared".into());
        args.extend(sources.iter().map(|s| s.as_os_str().to_owned()));
        args.extend(opts.needs.iter().map(|n| n.as_os_str().to_owned()));
        for r in &opts.rpath {
            args.push(format!("-Wl,-rpath,{r}").into());
        }
        args.push("-o".into());
        args.push(out.as_os_str().to_owned());
        args
    }

    /// The driver arguments [`Build::main_program`] uses.
    pub fn main_program_args(
        &self,
        sources: &[&Path],
        out: &Path,
        opts: &MainOptions,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = opts.extra_args.clone();
        args.push(opts.exports.flag().into());
        args.extend(sources.iter().map(|s| s.as_os_str().to_owned()));
        args.extend(opts.side_modules.iter().map(|n| {
            let mut flag = OsString::from("-mdl-exports-for=");
            flag.push(n);
            flag
        }));
        args.push("-o".into());
        args.push(out.as_os_str().to_owned());
        args
    }

    /// Compiles and links `sources` into the side module `out`.
    pub fn side_module(&self, sources: &[&Path], out: &Path, opts: &SideOptions) -> Result<()> {
        self.run(&self.side_module_args(sources, out, opts))
    }

    /// Compiles and links `sources` into the main program `out`.
    pub fn main_program(&self, sources: &[&Path], out: &Path, opts: &MainOptions) -> Result<()> {
        self.run(&self.main_program_args(sources, out, opts))
    }

    /// Runs the driver on `args`, capturing clang's output; an error carries
    /// the command line and clang's stderr.
    pub fn run(&self, args: &[OsString]) -> Result<()> {
        let inv = self.driver.plan(args)?;
        let output = inv.command().output();
        let output = match output {
            Ok(o) => o,
            Err(e) => bail!("cannot run {}: {e}", inv.program().display()),
        };
        if !output.status.success() {
            bail!(
                "{} failed ({}):\n{}\n{}",
                inv.program().display(),
                output.status,
                inv.command_line(),
                String::from_utf8_lossy(&output.stderr).trim_end()
            );
        }
        inv.finish_link()?;
        Ok(())
    }
}

/// [`Build::side_module`] with the detected toolchain.
pub fn build_side_module(sources: &[&Path], out: &Path, opts: &SideOptions) -> Result<()> {
    Build::new()?.side_module(sources, out, opts)
}

/// [`Build::main_program`] with the detected toolchain.
pub fn build_main_program(sources: &[&Path], out: &Path, opts: &MainOptions) -> Result<()> {
    Build::new()?.main_program(sources, out, opts)
}
