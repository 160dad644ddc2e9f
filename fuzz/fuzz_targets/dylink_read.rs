#![no_main]
//! See fuzz/src/lib.rs: [`wasi_dl_fuzz::dylink_read`].
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasi_dl_fuzz::dylink_read(data));
