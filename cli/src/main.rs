//! `wasi-dl`: run WebAssembly programs that `dlopen`, inspect side modules, and compile C for
//! wasi-dl. A thin shell over the `wasi-dl` and `wasi-dl-toolchain` crates.

mod cargo;
mod inspect;
mod run;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "wasi-dl",
    version,
    about = "dlopen for WebAssembly programs on WASI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program (a wasm32-wasip1 command) that may load side modules. Options come
    /// before the program: everything after it is the program's own argv.
    #[command(override_usage = "wasi-dl run [OPTIONS] PROGRAM [ARGS]...")]
    Run(run::RunArgs),
    /// Show a side module's dynamic-linking metadata, its NEEDED tree and, against a
    /// program, what would stay unresolved (like ldd and nm).
    Inspect(inspect::InspectArgs),
    /// Compile and link C for wasi-dl: `wasi-dl cc [clang args] -o prog.wasm` for a program,
    /// `wasi-dl cc -shared [clang args] -o libfoo.so` for a side module.
    #[command(disable_help_flag = true)]
    Cc {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Build the Rust cdylib crate here as a side module: `wasi-dl cargo build [--release]
    /// [cargo args]` leaves lib<crate>.so beside cargo's output and prints its path.
    #[command(disable_help_flag = true)]
    Cargo {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// The same as `cc`, for C++ sources.
    #[command(name = "c++", disable_help_flag = true)]
    Cxx {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Inspect(args) => inspect::inspect(args).map(|()| 0),
        Command::Cc { args } => compile(&args, false),
        Command::Cxx { args } => compile(&args, true),
        Command::Cargo { args } => cargo::cargo(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            run::say(format_args!("wasi-dl: error: {err:#}"));
            ExitCode::from(1)
        }
    }
}

fn compile(args: &[OsString], cxx: bool) -> anyhow::Result<u8> {
    let status = if cxx {
        wasi_dl_toolchain::cxx(args)?
    } else {
        wasi_dl_toolchain::cc(args)?
    };
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}
