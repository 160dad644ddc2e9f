//! `WASI_SDK_PATH` read from the real environment, through `Toolchain::detect`
//! and `cc`. Its own test binary (one process, one test): setting the variable
//! cannot race with other tests.

use std::ffi::OsString;

#[test]
fn wasi_sdk_path_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("share/wasi-sysroot")).unwrap();
    // The only test in this binary: no other thread reads the environment.
    std::env::set_var("WASI_SDK_PATH", dir.path());
    let expected = format!(
        "WASI_SDK_PATH={} is not a wasi-sdk: missing bin/clang (expected $WASI_SDK_PATH/bin/clang and $WASI_SDK_PATH/share/wasi-sysroot)",
        dir.path().display()
    );
    let err = wasi_dl_toolchain::Toolchain::detect().unwrap_err();
    assert_eq!(err.to_string(), expected);
    let err = wasi_dl_toolchain::cc(&[OsString::from("--version")]).unwrap_err();
    assert_eq!(err.to_string(), expected);

    // An empty variable counts as unset.
    std::env::set_var("WASI_SDK_PATH", "");
    if let Ok(tc) = wasi_dl_toolchain::Toolchain::detect() {
        assert_ne!(tc.kind(), wasi_dl_toolchain::ToolchainKind::WasiSdk);
    }
}
