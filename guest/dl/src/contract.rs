//! What the host calls in the main program ("main-program contract" in
//! docs/DESIGN.md). The program must export these (see the crate docs).
//!
//! Destructors: a side module's `__cxa_atexit` import resolves to
//! [`__wasi_dl_cxa_atexit`]. Each entry is kept here *and* registered with
//! libc's own `__cxa_atexit` (through a trampoline), so that at exit it runs in
//! its proper place among the program's other `atexit` handlers. When a
//! library is unloaded, the host calls [`__wasi_dl_finalize`] with the
//! library's data block: its entries run then (newest first) and are
//! forgotten, and their trampolines later do nothing. A library's
//! `__attribute__((destructor))` functions (which the host names, see
//! [`__wasi_dl_late_destructor`]) are kept out of libc's list: at dlclose they
//! run first, at exit after every handler and the program's destructors (see
//! [`__wasi_dl_install_late_destructors`]).

use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};

/// A destructor function: `void (*)(void *)`, a table index on wasm.
pub type DtorFn = unsafe extern "C" fn(*mut c_void);

// wasi-libc (the program's libc, whichever build).
unsafe extern "C" {
    fn posix_memalign(memptr: *mut *mut c_void, alignment: usize, size: usize) -> c_int;
    fn free(ptr: *mut c_void);
    fn __cxa_atexit(func: DtorFn, arg: *mut c_void, dso: *mut c_void) -> c_int;
    fn atexit(func: AtexitFn) -> c_int;
}

/// Memory for a library's data block: `size` bytes aligned to `align` (a power
/// of two; 0 counts as 1). NULL if it cannot be had. The host zero-fills it.
///
/// # Safety
/// Only for the host (or code that frees with [`__wasi_dl_free`]).
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_alloc(size: usize, align: usize) -> *mut c_void {
    let align = align.max(1);
    if !align.is_power_of_two() {
        return ptr::null_mut();
    }
    // posix_memalign wants a multiple of sizeof(void *); a zero-size block
    // still gets a unique address.
    let align = align.max(size_of::<*mut c_void>());
    let mut block: *mut c_void = ptr::null_mut();
    // SAFETY: block is a live out-pointer; align is a power of two >= sizeof(void *).
    if unsafe { posix_memalign(&mut block, align, size.max(1)) } != 0 {
        return ptr::null_mut();
    }
    block
}

/// Frees a block from [`__wasi_dl_alloc`] (NULL is ignored).
///
/// # Safety
/// `block` must come from [`__wasi_dl_alloc`] and not be freed yet.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_free(block: *mut c_void) {
    // SAFETY: the caller's contract; posix_memalign blocks are free()d.
    unsafe { free(block) }
}

/// An `atexit` handler: `void (*)(void)`, a table index on wasm.
pub type AtexitFn = unsafe extern "C" fn();

#[derive(Clone, Copy)]
enum Handler {
    /// From `__cxa_atexit`: called with its argument.
    WithArg(DtorFn),
    /// From `atexit`: called with none (a wasm call with the wrong arity traps).
    NoArg(AtexitFn),
}

#[derive(Clone, Copy)]
struct Entry {
    func: Handler,
    /// `arg` and `dso` as addresses (raw pointers are not Send).
    arg: usize,
    dso: usize,
    /// A library's `__attribute__((destructor))` functions: at exit they run after every
    /// exit handler and the program's own destructors (see [`__wasi_dl_run_late_destructors`]).
    late: bool,
}

impl Entry {
    /// # Safety
    /// The entry must have been registered by a live library.
    unsafe fn run(self) {
        match self.func {
            // SAFETY: registered as `void (*)(void *)` with this argument.
            Handler::WithArg(f) => unsafe { f(ptr::with_exposed_provenance_mut(self.arg)) },
            // SAFETY: registered as `void (*)(void)`.
            Handler::NoArg(f) => unsafe { f() },
        }
    }
}

struct Registry {
    /// Ids grow with each registration, so their order is registration order.
    next_id: u32,
    /// Sorted by id (a Vec rather than a map: this is linked into every
    /// program, and there are few entries).
    pending: Vec<(u32, Entry)>,
}

impl Registry {
    fn remove(&mut self, id: u32) -> Option<Entry> {
        let at = self.pending.binary_search_by_key(&id, |(id, _)| *id).ok()?;
        Some(self.pending.remove(at).1)
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 1,
    pending: Vec::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// libc runs this at exit for each entry, in its place among the other
/// handlers; the entry may have run already at `dlclose`.
unsafe extern "C" fn run_at_exit(id: *mut c_void) {
    let Ok(id) = u32::try_from(id as usize) else {
        return;
    };
    let entry = registry().remove(id);
    if let Some(entry) = entry {
        // SAFETY: still pending, so its library was not unloaded.
        unsafe { entry.run() }
    }
}

/// `__cxa_atexit` for side modules: runs `func(arg)` at exit, or when the
/// library whose data block holds `dso` is unloaded, whichever comes first.
/// 0 on success, -1 on failure.
///
/// # Safety
/// `func` must be a `void (*)(void *)` that may be called with `arg` until
/// the library holding `dso` is finalized.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_cxa_atexit(
    func: Option<DtorFn>,
    arg: *mut c_void,
    dso: *mut c_void,
) -> c_int {
    let Some(func) = func else { return -1 };
    // clang's wasm backend turns a library's `__attribute__((destructor))` functions into one
    // `__cxa_atexit(call_dtors, NULL, &__dso_handle)` per priority, made by its constructors,
    // just as it registers a C++ object's destructor. glibc runs the former from `.fini_array`,
    // after all exit handlers: the host told us which functions those are.
    if arg.is_null() && is_late_destructor(func as usize, dso as usize) {
        // Registered already, when the host named it (see __wasi_dl_late_destructor).
        return 0;
    }
    let late = false;
    register(
        Handler::WithArg(func),
        arg.expose_provenance(),
        dso as usize,
        late,
    )
}

/// `atexit` for side modules (the host binds each library's `atexit` import to this, with
/// the library's data block as `dso`): like glibc, the handler runs when the library is
/// unloaded, or at exit if it never is.
///
/// # Safety
/// `func` must be a `void (*)(void)` that may be called until the library holding `dso` is
/// finalized.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_atexit(func: Option<AtexitFn>, dso: *mut c_void) -> c_int {
    let Some(func) = func else { return -1 };
    register(Handler::NoArg(func), 0, dso as usize, false)
}

fn register(func: Handler, arg: usize, dso: usize, late: bool) -> c_int {
    let id = {
        let mut reg = registry();
        let id = reg.next_id;
        let Some(next) = id.checked_add(1) else {
            return -1;
        };
        reg.next_id = next;
        reg.pending.push((
            id,
            Entry {
                func,
                arg,
                dso,
                late,
            },
        ));
        id
    };
    if late {
        // Run by run_late_destructors at exit, or at dlclose. A program without wasi-dl's
        // start-up code (a Rust guest) installs the runner here, later than glibc would.
        if LATE_RUNNER.load(Ordering::Relaxed) == LATE_NONE {
            __wasi_dl_install_late_destructors();
        }
        return 0;
    }
    // SAFETY: run_at_exit has the right type and accepts any argument.
    let rc = unsafe {
        __cxa_atexit(
            run_at_exit,
            ptr::without_provenance_mut(id as usize),
            ptr::null_mut(),
        )
    };
    if rc != 0 {
        registry().remove(id);
        return -1;
    }
    0
}

/// The exit handler for libraries' destructors: not registered, promised by the start-up
/// code (which registers it itself, at the right moment), or registered.
/// `(base, end, slot)`: the function in table slot `slot`, when registered from the data
/// block `[base, end)`, is a library's `__attribute__((destructor))` functions.
static LATE_DESTRUCTORS: Mutex<Vec<(usize, usize, usize)>> = Mutex::new(Vec::new());

fn is_late_destructor(slot: usize, dso: usize) -> bool {
    LATE_DESTRUCTORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .any(|&(base, end, s)| s == slot && base <= dso && dso < end)
}

/// The host, before a library's constructors run: the function in `slot` that they will
/// register is the library's `__attribute__((destructor))` functions (see
/// [`__wasi_dl_cxa_atexit`]).
/// It is registered right away, as `.fini_array` holds it from the start: a constructor that
/// calls `exit` before the library's own registration still leaves it to run (that later
/// registration is then skipped).
#[no_mangle]
pub extern "C" fn __wasi_dl_late_destructor(base: usize, end: usize, slot: usize) {
    if slot == 0 {
        return;
    }
    LATE_DESTRUCTORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((base, end, slot));
    // SAFETY: on wasm32 a function pointer is its table index, and the host found a
    // `void (*)(void *)` (clang's call_dtors) in this slot.
    let func: DtorFn = unsafe { std::mem::transmute::<usize, DtorFn>(slot) };
    register(Handler::WithArg(func), 0, base, true);
}

static LATE_RUNNER: AtomicU8 = AtomicU8::new(LATE_NONE);
const LATE_NONE: u8 = 0;
const LATE_PROMISED: u8 = 1;
const LATE_INSTALLED: u8 = 2;

/// The start-up code will call [`__wasi_dl_install_late_destructors`] itself: libraries it
/// loads before that (the program's NEEDED ones) must not install the handler early.
#[no_mangle]
pub extern "C" fn __wasi_dl_promise_late_destructors() {
    let _ = LATE_RUNNER.compare_exchange(
        LATE_NONE,
        LATE_PROMISED,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
}

/// Registers, once, the exit handler that runs libraries' `__attribute__((destructor))`
/// functions. The start-up code calls it just before the program's constructors, so that it
/// runs after every exit handler and the program's own destructors, as glibc's `_dl_fini`.
#[no_mangle]
pub extern "C" fn __wasi_dl_install_late_destructors() {
    if LATE_RUNNER.swap(LATE_INSTALLED, Ordering::Relaxed) != LATE_INSTALLED {
        // SAFETY: run_late_destructors is a `void (*)(void)`. If libc is out of room the
        // destructors still run at dlclose.
        unsafe { atexit(run_late_destructors) };
    }
}

/// At exit: the `__attribute__((destructor))` functions of the libraries still loaded. The
/// host calls [`__wasi_dl_finalize`] for each library in `_dl_fini`'s order (load order, a
/// library before its dependencies); whatever is left (a host that failed) runs newest first.
/// Set once the program exits and the libraries' destructors run (see `__wasi_dl_finalize`).
static EXITING: AtomicBool = AtomicBool::new(false);

extern "C" fn run_late_destructors() {
    EXITING.store(true, Ordering::Relaxed);
    // SAFETY: no pointers; the host calls back into __wasi_dl_finalize.
    let rc = unsafe { crate::sys::fini() };
    if rc == crate::sys::__WASI_DL_ERRNO_SUCCESS {
        // What registered while those ran (a library dlopened by a destructor) is not
        // finalized: glibc's _dl_fini works on the libraries loaded when it started.
        return;
    }
    loop {
        let next = {
            let reg = registry();
            reg.pending
                .iter()
                .rev()
                .find(|(_, e)| e.late)
                .map(|(id, _)| *id)
        };
        let Some(id) = next else { return };
        // No lock is held while a destructor runs: it may dlclose, or register more.
        let entry = registry().remove(id);
        if let Some(entry) = entry {
            // SAFETY: still pending, so its library was not unloaded.
            unsafe { entry.run() }
        }
    }
}

/// Runs (see the order below) every pending destructor whose `dso` lies in
/// `[base, end)`, and forgets them. The host calls this before it unloads the
/// library whose data block that is. Destructors registered while these run
/// (for the same range) run too.
///
/// # Safety
/// Only for the host, while the library is still loaded.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_finalize(base: usize, end: usize) {
    let exiting = EXITING.load(Ordering::Relaxed);
    if !exiting {
        // The block may hold another library next time.
        LATE_DESTRUCTORS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|&(b, _, _)| !(base <= b && b < end));
    }
    // As glibc's dlclose: the library's `__attribute__((destructor))` functions first (its
    // .fini_array), then its C++ objects and exit handlers (__cxa_finalize), each newest
    // first. At exit only the former: the others are exit handlers libc runs in their turn.
    for late in [true, false] {
        if exiting && !late {
            break;
        }
        loop {
            let batch: Vec<u32> = registry()
                .pending
                .iter()
                .rev()
                .filter(|(_, e)| e.late == late && base <= e.dso && e.dso < end)
                .map(|(id, _)| *id)
                .collect();
            if batch.is_empty() {
                break;
            }
            for id in batch {
                // No lock is held while a destructor runs: it may dlclose, or register more.
                let entry = registry().remove(id);
                if let Some(entry) = entry {
                    // SAFETY: pending, and the host has not unloaded the library yet.
                    unsafe { entry.run() }
                }
            }
        }
    }
}

/// Hands the host the program's own RUNPATH (`-rpath` at its link, `:`-separated, as the
/// linker got it). The start-up code calls it with what `wasi-dl cc` wrote.
///
/// # Safety
/// `paths` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_use_runpath(paths: *const std::ffi::c_char) {
    if paths.is_null() {
        return;
    }
    // SAFETY: the caller's contract.
    let paths = unsafe { std::ffi::CStr::from_ptr(paths) }.to_bytes();
    // SAFETY: a live slice; the host only reads it. A failure leaves the run path empty.
    let _ = unsafe { crate::sys::program_runpath(paths.as_ptr().cast(), paths.len()) };
}

/// Loads the libraries the program was linked against (`names`: NULL-ended, link order) as
/// one group, before its constructors. 0, or -1 with `dlerror` set.
///
/// # Safety
/// `names` must be a NULL-ended array of NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn __wasi_dl_open_needed(names: *const *const std::ffi::c_char) -> c_int {
    let mut list = Vec::new();
    let mut at = names;
    // SAFETY: the caller's contract: each entry until NULL is a C string.
    unsafe {
        while !at.is_null() && !(*at).is_null() {
            list.extend_from_slice(std::ffi::CStr::from_ptr(*at).to_bytes());
            list.push(b'\n');
            at = at.add(1);
        }
    }
    match crate::imp::open_needed(&list) {
        Ok(()) => 0,
        Err(e) => {
            crate::dlfcn::set_dlerror_from(&e);
            -1
        }
    }
}
