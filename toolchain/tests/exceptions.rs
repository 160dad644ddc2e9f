//! The flags for WebAssembly exceptions: setjmp/longjmp for C and C++, C++ exceptions for
//! `wasi-dl c++`, and what a program links and exports for its side modules.

mod common;

use common::*;
use wasi_dl_toolchain::{Driver, CXX_EH_EXPORTS, SETJMP_EXPORTS};

fn args_of(driver: &Driver, args: &[&str]) -> Vec<String> {
    driver
        .plan(&os(args))
        .unwrap()
        .args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn has_pair(args: &[String], a: &str, b: &str) -> bool {
    args.windows(2).any(|w| w[0] == a && w[1] == b)
}

#[test]
fn setjmp_and_cxx_exceptions_are_on_by_default() {
    let Some(tc) = toolchain("setjmp_and_cxx_exceptions_are_on_by_default") else {
        return;
    };
    if tc.setjmp_archive().is_none() || !tc.cxx_exceptions() {
        eprintln!("SKIPPED setjmp_and_cxx_exceptions_are_on_by_default: no libsetjmp or no C++ runtime built for exceptions (run make setup)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let cc = Driver::new(tc.clone());
    let cxx = Driver::new(tc.clone()).cxx(true);

    // C: setjmp lowered onto the standard exception instructions; no C++ exceptions.
    let c = args_of(&cc, &["-c", "a.c"]);
    assert!(has_pair(&c, "-mllvm", "-wasm-enable-sjlj"), "{c:?}");
    assert!(has_pair(&c, "-mllvm", "-wasm-use-legacy-eh=false"), "{c:?}");
    assert!(!c.iter().any(|a| a == "-fwasm-exceptions"), "{c:?}");

    // C++: exceptions too, unless the user turns them off.
    let x = args_of(&cxx, &["-c", "a.cpp"]);
    assert!(x.iter().any(|a| a == "-fwasm-exceptions"), "{x:?}");
    let x = args_of(&cxx, &["-c", "a.cpp", "-fno-exceptions"]);
    assert!(!x.iter().any(|a| a == "-fwasm-exceptions"), "{x:?}");
    assert!(has_pair(&x, "-mllvm", "-wasm-enable-sjlj"), "{x:?}");

    // A program links libsetjmp and exports the setjmp helpers and tag; a C++ one also
    // libunwind and the C++ tag, also when its own code has no exceptions.
    let main = args_of(&cc, &["m.c", "-o", "m.wasm"]);
    assert!(main.iter().any(|a| a.ends_with("/libsetjmp.a")), "{main:?}");
    for name in SETJMP_EXPORTS {
        assert!(
            main.contains(&format!("-Wl,--export={name}")),
            "{name}: {main:?}"
        );
    }
    assert!(!main.contains(&"-lunwind".to_string()));
    for flags in [
        &["m.cpp", "-o", "m.wasm"][..],
        &["-fno-exceptions", "m.cpp", "-o", "m.wasm"],
    ] {
        let main = args_of(&cxx, flags);
        assert!(main.contains(&"-lunwind".to_string()), "{main:?}");
        for name in CXX_EH_EXPORTS {
            assert!(
                main.contains(&format!("-Wl,--export={name}")),
                "{name}: {main:?}"
            );
        }
    }
    // Side modules import all of it from the program.
    let side = args_of(&cxx, &["-shared", "-fPIC", "l.cpp", "-o", "libl.so"]);
    assert!(
        !side
            .iter()
            .any(|a| a.ends_with("libsetjmp.a") || a == "-lunwind"),
        "{side:?}"
    );
}
