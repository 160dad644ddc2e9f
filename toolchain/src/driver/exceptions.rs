//! Which WebAssembly exception flags a build gets: setjmp/longjmp and C++ exceptions, and
//! what a main program links and exports for them.

use super::args::Parsed;
use super::{CXX_EH_EXPORTS, SETJMP_EXPORTS};
use crate::detect::Toolchain;
use std::ffi::OsString;

/// Which kinds of WebAssembly exceptions a build uses. Both need the standard exception
/// instructions (`-wasm-use-legacy-eh=false`: wasmtime rejects the legacy ones), so only a
/// clang that emits them (22 and later) turns them on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Exceptions {
    /// setjmp/longjmp lowered onto exceptions (`-wasm-enable-sjlj`), with wasi-libc's libsetjmp.
    setjmp: bool,
    /// C++ exceptions (`-fwasm-exceptions`), with a C++ runtime built for them.
    cxx: bool,
    /// A C++ link with that runtime: its libc++abi throws (even for code compiled with
    /// `-fno-exceptions`, e.g. `std::vector::at`), so libunwind is linked and its tag exported.
    cxx_runtime: bool,
}

impl Exceptions {
    pub(super) fn of(tc: &Toolchain, cxx: bool, p: &Parsed) -> Exceptions {
        let cxx_runtime = cxx && tc.cxx_exceptions();
        Exceptions {
            setjmp: tc.setjmp_archive().is_some(),
            cxx: cxx_runtime && !p.user_no_exceptions,
            cxx_runtime: cxx_runtime && !p.user_nostdlibxx,
        }
    }

    /// Flags for every compile (and link, which may compile too).
    pub(super) fn compile_flags(self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.cxx {
            flags.push("-fwasm-exceptions");
        }
        if self.setjmp {
            flags.extend(["-mllvm", "-wasm-enable-sjlj"]);
        }
        if self.cxx || self.setjmp {
            flags.extend(["-mllvm", "-wasm-use-legacy-eh=false"]);
        }
        flags
    }

    /// A main program's extra link inputs and exports.
    pub(super) fn link_args(self, tc: &Toolchain) -> Vec<OsString> {
        let mut args = Vec::new();
        if let Some(setjmp) = tc.setjmp_archive().filter(|_| self.setjmp) {
            args.push(setjmp.into_os_string());
            args.extend(
                SETJMP_EXPORTS
                    .iter()
                    .map(|n| format!("-Wl,--export={n}").into()),
            );
        }
        if self.cxx_runtime {
            // clang++ links libc++ and libc++abi; the unwinder they need is ours to add.
            args.push("-lunwind".into());
            args.extend(
                CXX_EH_EXPORTS
                    .iter()
                    .map(|n| format!("-Wl,--export={n}").into()),
            );
        }
        args
    }
}
