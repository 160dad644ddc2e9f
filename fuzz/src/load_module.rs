//! Target 2: loading arbitrary bytes as a library.

use super::program::{RTLD_LAZY, RTLD_NOLOAD, RTLD_NOW};
use super::session::Session;

/// Registers `data` as `libfuzz.so` and dlopens it (RTLD_NOW, then RTLD_LAZY).
pub fn load_module(data: &[u8]) {
    let mut s = Session::new(&[("libfuzz.so", data)], false);
    let (errno, handle) = s.open(b"libfuzz.so", RTLD_NOW);
    if s.dead {
        return;
    }
    s.check_blocks("after dlopen(libfuzz.so)");
    if errno != 0 {
        s.check_gone("libfuzz.so", "after a failed dlopen");
        let first = s.error_text();
        let table_after_first = s.table_size();
        // A failure leaves everything as it was: trying again fails the same way, and grows
        // nothing further (slots the first attempt added are reused).
        let (again, _) = s.open(b"libfuzz.so", RTLD_NOW);
        if s.dead {
            return;
        }
        assert_eq!(
            again,
            errno,
            "second attempt differs: first {first:?}, then {:?}",
            s.error_text()
        );
        s.check_gone("libfuzz.so", "after a second failed dlopen");
        s.check_blocks("after a second failed dlopen");
        assert_eq!(
            s.table_size(),
            table_after_first,
            "a repeated failure grew the table again"
        );
        let (lazy, handle) = s.open(b"libfuzz.so", RTLD_LAZY);
        if s.dead {
            return;
        }
        s.check_blocks("after dlopen(libfuzz.so, RTLD_LAZY)");
        if lazy == 0 {
            let closed = s.close(handle);
            if s.dead {
                return;
            }
            assert_eq!(closed, 0);
        }
    } else {
        assert!(s.loaded() >= 1);
        for name in ["f", "main", "a", "a_get", "__wasm_call_ctors", "memory"] {
            let (e, kind, value) = s.sym(handle, name.as_bytes(), 0);
            if s.dead {
                return;
            }
            if e == 0 && kind == 0 {
                let _ = s.call(value);
                if s.dead {
                    return;
                }
            }
            s.check_blocks("after dlsym");
        }
        let closed = s.close(handle);
        if s.dead {
            return;
        }
        assert_eq!(closed, 0, "dlclose failed: {}", s.error_text());
        let (_, still) = s.open(b"libfuzz.so", RTLD_NOLOAD | RTLD_NOW);
        if still == 0 {
            assert_eq!(s.close(handle), 5, "a second dlclose must fail with BADF");
        }
    }
    // Libraries the module's constructors loaded themselves (nested dlopen, also of itself)
    // stay loaded, as after any successful dlopen; closing them must leave nothing.
    s.drain();
    if s.dead {
        return;
    }
    s.check_gone("libfuzz.so", "after closing");
    s.check_blocks("after closing");
    if s.loaded() == 0 {
        s.check_no_blocks_but_parked("after closing");
    }
}
