//! hello: a Rust plugin that uses the standard library (`String`, `HashMap`,
//! `format!`, `print!`) and a crates.io crate (`itoa`).
//!
//! Build it with `wasi-dl cargo build --release` in this directory: that
//! prints the path of `libhello.so`. `../main.c` (a C program) and
//! `guest/examples/rust-loader --plugin` (a Rust program) load it.

use std::collections::HashMap;
use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicU32, Ordering};

/// Greetings since the plugin was loaded: its data starts afresh at every load.
static GREETINGS: AtomicU32 = AtomicU32::new(0);

/// `text` as a string, "" for NULL.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
unsafe fn text(text: *const c_char) -> String {
    if text.is_null() {
        return String::new();
    }
    // SAFETY: the caller's contract.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

wasi_dl_plugin::export_plugin! {
    /// `a + b`, wrapping.
    pub extern "C" fn hello_add(a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }

    /// Prints `Hello, NAME!` on stdout without a newline (the entry point
    /// flushes it on return) and returns how many greetings this load of the
    /// plugin has made.
    ///
    /// # Safety
    /// `name` is NULL or a NUL-terminated string.
    pub unsafe extern "C" fn hello_greet(name: *const c_char) -> u32 {
        let name = unsafe { text(name) };
        print!("Hello, {name}!");
        GREETINGS.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Prints a line with the most frequent word of `words` (ties: the
    /// first in alphabetical order) and returns the number of distinct words.
    ///
    /// # Safety
    /// `words` is NULL or a NUL-terminated string.
    pub unsafe extern "C" fn hello_count_words(words: *const c_char) -> u32 {
        let words = unsafe { text(words) };
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for word in words.split_whitespace() {
            *counts.entry(word).or_default() += 1;
        }
        let mut sorted: Vec<(&str, u32)> = counts.iter().map(|(w, n)| (*w, *n)).collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        match sorted.first() {
            Some((word, n)) => println!("hello: most frequent word {word:?} ({n} times)"),
            None => println!("hello: no words"),
        }
        counts.len() as u32
    }

    /// Writes `n` in decimal (with `itoa`) into `out` (`cap` bytes, NUL
    /// added) and returns its length, or 0 if it does not fit.
    ///
    /// # Safety
    /// `out` points to `cap` writable bytes.
    pub unsafe extern "C" fn hello_decimal(n: u64, out: *mut u8, cap: usize) -> usize {
        let mut buffer = itoa::Buffer::new();
        let digits = buffer.format(n).as_bytes();
        if out.is_null() || digits.len() >= cap {
            return 0;
        }
        // SAFETY: the caller's contract; digits.len() + 1 <= cap.
        unsafe {
            std::ptr::copy_nonoverlapping(digits.as_ptr(), out, digits.len());
            *out.add(digits.len()) = 0;
        }
        digits.len()
    }

    /// Panics when `code` is not 0: the program traps (see guest/README.md).
    pub extern "C" fn hello_panic(code: i32) -> i32 {
        if code != 0 {
            panic!("hello_panic called with {code}");
        }
        0
    }
}
