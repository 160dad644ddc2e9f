//! What the driver passes to clang unchanged, what it adds, and what it ignores.

mod common;

use common::*;
use std::ffi::OsString;
use wasi_dl_toolchain::{Driver, Toolchain};

fn strings(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn position(args: &[String], a: &str) -> usize {
    args.iter()
        .position(|x| x == a)
        .unwrap_or_else(|| panic!("{a} missing from {args:?}"))
}

#[test]
fn unknown_and_ordinary_flags_reach_clang_in_order() {
    let Some(tc) = toolchain("unknown_and_ordinary_flags_reach_clang_in_order") else {
        return;
    };
    let user = [
        "-O2",
        "-g",
        "-std=c11",
        "-DANSWER=42",
        "-Wextra",
        "-fno-such-flag-xyz",
        "-Iinc",
        "-c",
        "x.c",
        "-o",
        "x.o",
    ];
    let plan = Driver::new(tc.clone()).plan(&os(&user)).unwrap();
    let args = strings(plan.args());
    let positions: Vec<usize> = user.iter().map(|u| position(&args, u)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "user flags out of order: {args:?}"
    );
    assert!(args.contains(&"-fvisibility=default".to_string()));
    assert!(
        !args.contains(&"-fPIC".to_string()),
        "-c adds -fPIC only if the user asks"
    );

    // ... and clang really gets them: the unknown flag makes it fail, -D changes the code.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "x.c",
        "#if ANSWER != 42\n#error no ANSWER\n#endif\nint x(void) { return ANSWER; }\n",
    );
    let driver = Driver::new(tc).current_dir(d);
    let out = driver
        .plan(&os(&["-fno-such-flag-xyz", "-c", "x.c"]))
        .unwrap()
        .command()
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-flag-xyz"));
    let out = driver
        .plan(&os(&["-c", "x.c"]))
        .unwrap()
        .command()
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no ANSWER"),
        "-D is what makes it compile"
    );
    let out = driver
        .plan(&os(&["-DANSWER=42", "-c", "x.c"]))
        .unwrap()
        .command()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.join("x.o").exists());
}

#[test]
fn our_dlfcn_h_wins_and_e_passes_through() {
    let Some(tc) = toolchain("our_dlfcn_h_wins_and_e_passes_through") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "u.c",
        "#include <dlfcn.h>\nvoid *f(void) { return dlopen(\"x\", RTLD_NOW); }\n",
    );
    let plan = Driver::new(tc)
        .current_dir(d)
        .plan(&os(&["-E", "u.c"]))
        .unwrap();
    let args = strings(plan.args());
    let include = args.iter().position(|a| a.starts_with("-I")).unwrap();
    assert!(
        include < position(&args, "u.c"),
        "our -I comes before the user's files"
    );
    let out = plan.command().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("__wasi_dl_open_from((\"x\"), (2), __dso_handle)"),
        "not our dlfcn.h:\n{text}"
    );
}

#[test]
fn separate_compile_then_link_a_side_module() {
    let Some(tc) = toolchain("separate_compile_then_link_a_side_module") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.c", "int a(void) { return 1; }\n");
    write(d, "b.c", "int a(void);\nint b(void) { return a() + 1; }\n");
    let driver = Driver::new(tc);
    cc_in(&driver, d, &["-fPIC", "-O2", "-c", "a.c", "b.c"]);
    cc_in(&driver, d, &["-shared", "a.o", "b.o", "-o", "libab.so"]);
    let info = inspect(&d.join("libab.so"));
    assert!(info.exports.contains("a") && info.exports.contains("b"));
}

#[test]
fn pthread_warns_and_ldl_is_ignored_in_a_main_program() {
    let Some(tc) = toolchain("pthread_warns_and_ldl_is_ignored_in_a_main_program") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tc = with_standin(tc, d);
    write(
        d,
        "m.c",
        "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n",
    );
    let driver = Driver::new(tc).current_dir(d);
    let plan = driver
        .plan(&os(&[
            "-pthread",
            "-rdynamic",
            "m.c",
            "-ldl",
            "-lpthread",
            "-o",
            "m.wasm",
        ]))
        .unwrap();
    assert_eq!(plan.warnings().len(), 1, "{:?}", plan.warnings());
    assert!(plan.warnings()[0].contains("-pthread"));
    let args = strings(plan.args());
    for dropped in ["-pthread", "-ldl", "-lpthread", "-rdynamic"] {
        assert!(
            !args.contains(&dropped.to_string()),
            "{dropped} reached clang"
        );
    }
    assert!(args.contains(&"-Wl,--export-dynamic".to_string()));
    assert!(
        plan.notes().iter().any(|n| n.contains("-ldl")),
        "{:?}",
        plan.notes()
    );
    let out = plan.command().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run_main(&d.join("m.wasm")), (0, "ok\n".to_string()));
}

#[test]
fn queries_get_only_the_target() {
    let Some(tc) = toolchain("queries_get_only_the_target") else {
        return;
    };
    let plan = Driver::new(tc.clone())
        .plan(&os(&["-print-file-name=libc.a"]))
        .unwrap();
    // The target, and the sysroot when the toolchain has one (a wasi-sdk, or the one make
    // setup assembles for Debian's clang).
    let mut expected: Vec<String> = tc
        .target_args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    expected.push("-print-file-name=libc.a".to_string());
    assert_eq!(strings(plan.args()), expected);
    let out = plan.command().output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .trim()
        .ends_with("libc.a"));
    // A user's own --target wins.
    let plan = Driver::new(tc)
        .plan(&os(&["--target=wasm32-unknown-unknown", "-c", "x.c"]))
        .unwrap();
    let targets: Vec<String> = strings(plan.args())
        .into_iter()
        .filter(|a| a.starts_with("--target"))
        .collect();
    assert_eq!(targets, vec!["--target=wasm32-unknown-unknown"]);
}

#[test]
fn cc_command_matches_the_driver() {
    let Ok(tc) = Toolchain::detect() else {
        eprintln!("SKIPPED cc_command_matches_the_driver: no wasm toolchain");
        return;
    };
    let cmd = wasi_dl_toolchain::cc_command(&os(&["-c", "x.c"]), true).unwrap();
    assert_eq!(cmd.get_program(), tc.clangxx().as_os_str());
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    assert_eq!(
        args,
        Driver::new(tc)
            .cxx(true)
            .plan(&os(&["-c", "x.c"]))
            .unwrap()
            .args()
    );
}
