//! Toolchain selection: WASI_SDK_PATH (good and bad), Debian, CC_WASM, the
//! guest sysroot, the -rpath linker.

mod common;

use common::*;
use std::path::Path;
use wasi_dl_toolchain::{DetectConfig, Driver, GuestSysroot, Toolchain, ToolchainKind};

fn sdk_config(path: &Path) -> DetectConfig {
    DetectConfig {
        wasi_sdk_path: Some(path.to_path_buf()),
        ..Default::default()
    }
}

#[test]
fn wasi_sdk_path_that_is_not_a_wasi_sdk_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("share/wasi-sysroot")).unwrap();
    let err = Toolchain::detect_with(&sdk_config(d))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "WASI_SDK_PATH={} is not a wasi-sdk: missing bin/clang (expected $WASI_SDK_PATH/bin/clang and $WASI_SDK_PATH/share/wasi-sysroot)",
            d.display()
        )
    );

    let empty = tempfile::tempdir().unwrap();
    let err = Toolchain::detect_with(&sdk_config(empty.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing bin/clang and share/wasi-sysroot"),
        "{err}"
    );

    // A clang and a sysroot without any libc layout.
    std::fs::create_dir_all(d.join("bin")).unwrap();
    std::fs::write(d.join("bin/clang"), "").unwrap();
    let err = Toolchain::detect_with(&sdk_config(d))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("neither lib/wasm32-wasip1 nor lib/wasm32-wasi"),
        "{err}"
    );
}

#[test]
fn wasi_sdk_layouts_choose_the_target_triple() {
    for (layout, target) in [
        ("wasm32-wasip1", "wasm32-wasip1"),
        ("wasm32-wasi", "wasm32-wasi"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("bin")).unwrap();
        std::fs::write(d.join("bin/clang"), "").unwrap();
        std::fs::create_dir_all(d.join("share/wasi-sysroot/lib").join(layout)).unwrap();
        let tc = Toolchain::detect_with(&sdk_config(d)).unwrap();
        assert_eq!(tc.kind(), ToolchainKind::WasiSdk);
        assert_eq!(tc.target(), target);
        assert_eq!(tc.clang(), d.join("bin/clang"));
        assert_eq!(tc.sysroot(), Some(d.join("share/wasi-sysroot").as_path()));
        assert!(tc.describe().contains("WASI_SDK_PATH"), "{}", tc.describe());
        // The driver passes that target and sysroot.
        let plan = Driver::new(tc).plan(&os(&["-c", "x.c"])).unwrap();
        let args: Vec<String> = plan
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[0], format!("--target={target}"));
        assert_eq!(
            args[1],
            format!("--sysroot={}", d.join("share/wasi-sysroot").display())
        );
    }
}

#[test]
fn debian_toolchain_is_found_and_described() {
    let Some(tc) = toolchain("debian_toolchain_is_found_and_described") else {
        return;
    };
    if tc.kind() != ToolchainKind::Debian {
        eprintln!("SKIPPED debian_toolchain_is_found_and_described: not a Debian toolchain");
        return;
    }
    // clang-22 with the wasi-sdk-shaped sysroot make setup assembles (clang 22 deprecates
    // the wasm32-wasi triple).
    assert_eq!(tc.target(), "wasm32-wasip1");
    let sysroot = tc.sysroot().expect("the assembled sysroot");
    assert!(sysroot.join("lib/wasm32-wasip1/libsetjmp.a").is_file());
    assert!(tc.standard_eh() && tc.setjmp_archive().is_some() && tc.cxx_exceptions());
    let line = tc.describe();
    assert!(!line.contains('\n'));
    assert!(
        line.contains("clang-22")
            && line.contains("wasm32-wasip1")
            && line.contains("guest sysroot"),
        "{line}"
    );
    assert!(tc.libc_archive().unwrap().ends_with("libc.a"));
    let out = tc.clang_command().arg("-dumpmachine").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("wasm32"));
}

#[test]
fn missing_clang_says_make_setup() {
    let empty = tempfile::tempdir().unwrap();
    let config = DetectConfig {
        path: Some(empty.path().as_os_str().to_owned()),
        ..Default::default()
    };
    let err = Toolchain::detect_with(&config).unwrap_err().to_string();
    assert!(
        err.contains("clang-22 is not installed") && err.contains("run `make setup`"),
        "{err}"
    );
    assert!(
        err.contains("wasi-libc") && err.contains("lld-22"),
        "names the packages: {err}"
    );
}

#[test]
fn missing_sysroot_says_make_setup() {
    if !Path::new("/usr/bin/clang-22").exists() {
        eprintln!("SKIPPED missing_sysroot_says_make_setup: no /usr/bin/clang-22");
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let config = DetectConfig {
        toolchain_dir: Some(empty.path().to_path_buf()),
        ..Default::default()
    };
    let err = Toolchain::detect_with(&config).unwrap_err().to_string();
    assert!(
        err.starts_with("the wasm sysroot is not assembled")
            && err.contains("run `make setup`")
            && err.contains("WASI_DL_TOOLCHAIN_DIR"),
        "{err}"
    );
}

#[test]
fn cc_wasm_overrides_the_compiler() {
    if !Path::new("/usr/bin/clang-22").exists() {
        eprintln!("SKIPPED cc_wasm_overrides_the_compiler: no /usr/bin/clang-22");
        return;
    }
    let config = DetectConfig {
        cc_wasm: Some("clang-22".into()),
        ..Default::default()
    };
    let tc = Toolchain::detect_with(&config).unwrap();
    assert_eq!(tc.kind(), ToolchainKind::Custom);
    assert_eq!(tc.clang(), Path::new("/usr/bin/clang-22"));
    assert_eq!(tc.clangxx(), Path::new("/usr/bin/clang++-22"));
    let config = DetectConfig {
        cc_wasm: Some("/nonexistent/clang".into()),
        ..Default::default()
    };
    assert!(Toolchain::detect_with(&config)
        .unwrap_err()
        .to_string()
        .contains("CC_WASM=/nonexistent/clang not found"));
}

#[test]
fn missing_guest_library_says_make_guest() {
    let Some(tc) = toolchain("missing_guest_library_says_make_guest") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = tc.with_guest_sysroot(GuestSysroot::new(dir.path().join("nowhere")));
    let driver = Driver::new(tc);
    let err = driver
        .plan(&os(&["main.c", "-o", "main.wasm"]))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("wasi-dl guest library not built: run `make guest`"),
        "{err}"
    );
    // An explicit sysroot without headers is an error for compiling too.
    let err = driver.plan(&os(&["-c", "main.c"])).unwrap_err().to_string();
    assert!(err.contains("make guest"), "{err}");
}

#[test]
fn rpath_linker_is_a_newer_wasm_ld() {
    let Some(tc) = toolchain("rpath_linker_is_a_newer_wasm_ld") else {
        return;
    };
    let plan = Driver::new(tc.clone()).plan(&os(&[
        "-shared",
        "a.c",
        "-Wl,-rpath,$ORIGIN",
        "-o",
        "liba.so",
    ]));
    match tc.rpath_linker() {
        Ok(Some(linker)) => {
            let flag = format!("-fuse-ld={}", linker.display());
            assert!(plan
                .unwrap()
                .args()
                .iter()
                .any(|a| a.to_string_lossy() == flag));
        }
        Ok(None) => eprintln!("clang's own wasm-ld supports -rpath"),
        Err(e) => assert!(e.to_string().contains("lld-22"), "{e}"),
    }
    // Without -rpath nothing changes, and a user's -fuse-ld= wins.
    let plan = Driver::new(tc.clone())
        .plan(&os(&["-shared", "a.c", "-o", "liba.so"]))
        .unwrap();
    assert!(!plan
        .args()
        .iter()
        .any(|a| a.to_string_lossy().starts_with("-fuse-ld=")));
    let plan = Driver::new(tc)
        .plan(&os(&[
            "-shared",
            "a.c",
            "-Wl,-rpath,x",
            "-fuse-ld=lld",
            "-o",
            "l.so",
        ]))
        .unwrap();
    let fuse: Vec<_> = plan
        .args()
        .iter()
        .filter(|a| a.to_string_lossy().starts_with("-fuse-ld="))
        .collect();
    assert_eq!(fuse, vec!["-fuse-ld=lld"]);
}
