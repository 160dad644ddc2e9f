//! Target 3: sequences of calls (open, sym, close, last_error, addr) on the fixed libraries.

use super::libraries::SYMBOLS;
use super::program::{OUT, RTLD_GLOBAL, RTLD_LAZY, RTLD_NODELETE, RTLD_NOLOAD, RTLD_NOW, SCRATCH};
use super::session::{world, Session};

/// Reads the op list from the bytes.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u32(&mut self) -> Option<u32> {
        let mut v = [0u8; 4];
        for b in &mut v {
            *b = self.u8()?;
        }
        Some(u32::from_le_bytes(v))
    }
    /// A u32 that is usually interesting: small, near the end of memory, or anything.
    fn addr(&mut self) -> Option<u32> {
        Some(match self.u8()? % 6 {
            0 => SCRATCH + u32::from(self.u8()?),
            1 => 0,
            2 => 0xffff_fff0 + u32::from(self.u8()? & 0xf),
            3 => 4 * 65536 - u32::from(self.u8()?),
            4 => OUT + u32::from(self.u8()?),
            _ => self.u32()?,
        })
    }
    fn len(&mut self) -> Option<u32> {
        Some(match self.u8()? % 4 {
            0 => u32::from(self.u8()?),
            1 => 0,
            2 => u32::MAX - u32::from(self.u8()?),
            _ => self.u32()?,
        })
    }
}

const FLAGS: &[u32] = &[
    RTLD_NOW,
    RTLD_LAZY,
    RTLD_NOW | RTLD_GLOBAL,
    RTLD_LAZY | RTLD_GLOBAL,
    RTLD_NOW | RTLD_NOLOAD,
    RTLD_NOW | RTLD_NODELETE,
    0,
    0x8000_0000,
    0x20,
];

/// Interprets `data` as calls on the fixed libraries.
pub fn ops(data: &[u8]) {
    let names: Vec<&str> = world().libs.iter().map(|(n, _)| *n).collect();
    let mut s = Session::new(&[], true);
    let mut input = Bytes(data);
    // Handles from successful opens (one entry per reference), function pointers from sym.
    let mut handles: Vec<u32> = Vec::new();
    let mut functions: Vec<u32> = Vec::new();
    let mut nodelete = false;
    let mut pinned = false;
    let mut steps = 0;
    while let Some(op) = input.u8() {
        steps += 1;
        if steps > 200 {
            break;
        }
        let Some(arg) = input.u8() else { break };
        let context = format!("step {steps} (op {op})");
        match op % 12 {
            0 | 1 => {
                let name = names[usize::from(arg) % names.len()];
                let flags = FLAGS[usize::from(input.u8().unwrap_or(0)) % FLAGS.len()];
                let loaded = s.loaded();
                let (errno, handle) = s.open(name.as_bytes(), flags);
                if s.dead {
                    return;
                }
                if errno == 0 {
                    if handle == 0 {
                        // NOLOAD of a library that is not loaded: NULL, nothing to close.
                        assert_eq!(s.loaded(), loaded, "{context}: NOLOAD loaded something");
                    } else {
                        handles.push(handle);
                        nodelete |= flags & RTLD_NODELETE != 0;
                    }
                } else {
                    assert_eq!(
                        s.loaded(),
                        loaded,
                        "{context}: failed dlopen({name}) changed the loaded set"
                    );
                }
            }
            2 => {
                if handles.is_empty() {
                    continue;
                }
                let i = usize::from(arg) % handles.len();
                let errno = s.close(handles[i]);
                if s.dead {
                    return;
                }
                if errno == 0 {
                    handles.remove(i);
                } else {
                    // Only a destructor could make a close fail, and there are none here.
                    panic!(
                        "{context}: dlclose of an open handle failed: {}",
                        s.error_text()
                    );
                }
            }
            3 | 4 => {
                let handle = match arg % 4 {
                    0 if !handles.is_empty() => handles[usize::from(arg / 4) % handles.len()],
                    1 => 0,
                    2 => u32::MAX,
                    _ => 1,
                };
                let name = SYMBOLS[usize::from(input.u8().unwrap_or(0)) % SYMBOLS.len()];
                let caller = input.addr().unwrap_or(0);
                let (errno, kind, value) = s.sym(handle, name.as_bytes(), caller);
                // As in glibc, what RTLD_DEFAULT finds in a library keeps that library loaded
                // (for good, or while the calling library is).
                pinned |= errno == 0 && handle == 0;
                if errno == 0 && kind == 0 {
                    functions.push(value);
                }
            }
            5 => {
                if let Some(&f) = functions.get(usize::from(arg) % functions.len().max(1)) {
                    let _ = s.call(f);
                } else {
                    let _ = s.call(u32::from(arg));
                }
            }
            6 => {
                let (buf, len, out) = (input.addr(), input.len(), input.addr());
                let (Some(buf), Some(len), Some(out)) = (buf, len, out) else {
                    break;
                };
                let _ = s.raw_last_error(buf, len, out);
            }
            7 => {
                let address = match arg % 3 {
                    0 => input.addr().unwrap_or(0),
                    1 => functions.last().copied().unwrap_or(1),
                    _ => u32::from(arg) << 8,
                };
                let (a, b, c) = (input.addr(), input.len(), input.addr());
                let (Some(a), Some(b), Some(c)) = (a, b, c) else {
                    break;
                };
                let _ = s.raw_addr((address, a, b & 0xffff, c, b >> 16, OUT));
            }
            8 => {
                let (ptr, len, out) = (input.addr(), input.len(), input.addr());
                let (Some(ptr), Some(len), Some(out)) = (ptr, len, out) else {
                    break;
                };
                let flags = FLAGS[usize::from(arg) % FLAGS.len()];
                let loaded = s.loaded();
                let errno = s.raw_open(ptr, len, flags, 0, out);
                if s.dead {
                    return;
                }
                if errno == 0 {
                    // The bytes at `ptr` may name a library: then it is loaded (or referenced
                    // once more), and its handle is where `out` points.
                    let handle = s.read_u32(out);
                    if handle > 1 {
                        handles.push(handle);
                        nodelete |= flags & RTLD_NODELETE != 0;
                    }
                } else {
                    assert_eq!(
                        s.loaded(),
                        loaded,
                        "{context}: a failed raw open changed the loaded set"
                    );
                }
            }
            9 => {
                let (ptr, len, kind, value) =
                    (input.addr(), input.len(), input.addr(), input.addr());
                let (Some(ptr), Some(len), Some(kind), Some(value)) = (ptr, len, kind, value)
                else {
                    break;
                };
                let handle = handles.first().copied().unwrap_or(0);
                let errno = s.raw_sym((handle, ptr, len, 0, kind, value));
                pinned |= errno == 0 && handle == 0;
            }
            10 => {
                let forged = input.u32().unwrap_or(u32::from(arg));
                if handles.contains(&forged) || forged == 1 {
                    continue;
                }
                let errno = s.close(forged);
                assert!(
                    s.dead || errno != 0,
                    "{context}: closing a forged handle {forged:#x} succeeded"
                );
            }
            _ => {
                let name = names[usize::from(arg) % names.len()];
                // A NOLOAD hit is one more reference; a miss returns handle 0.
                let (errno, handle) = s.open(name.as_bytes(), RTLD_NOLOAD | RTLD_NOW);
                if errno == 0 && handle > 1 {
                    handles.push(handle);
                }
            }
        }
        if s.dead {
            return;
        }
        s.check_blocks(&context);
    }
    // Close everything: then nothing is left (unless something was opened NODELETE, or pinned
    // by an RTLD_DEFAULT lookup).
    while let Some(handle) = handles.pop() {
        let errno = s.close(handle);
        if s.dead {
            return;
        }
        assert_eq!(
            errno,
            0,
            "final dlclose({handle:#x}) failed: {}",
            s.error_text()
        );
        s.check_blocks("final close");
    }
    if !nodelete && !pinned {
        assert_eq!(s.loaded(), 0, "libraries left after closing every handle");
        s.check_no_blocks_but_parked("after closing every handle");
    }
}
