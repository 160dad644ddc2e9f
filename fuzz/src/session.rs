//! The world (engine, main program, linker, the fixed libraries), and [`Session`]: one program
//! run, its calls into the raw `wasi_dl` imports and its checks of the loader's state.

use std::sync::{Arc, OnceLock};

use wasi_dl::{Limits, ModuleCache, WasiDlCtx};
use wasmtime::{Config, Engine, Instance, Linker, Module, OptLevel, Store, TypedFunc};

use super::libraries::fixed_libraries;
use super::program::{MAIN_WAT, OUT, RTLD_NOLOAD, RTLD_NOW, SCRATCH};

pub struct State {
    pub dl: WasiDlCtx,
}

pub(crate) struct World {
    engine: Engine,
    main: Module,
    linker: Linker<State>,
    pub(crate) libs: Vec<(&'static str, Option<Arc<[u8]>>)>,
    /// Compiled fixed libraries, shared by every `ops` run.
    cache: ModuleCache,
}

pub(crate) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.cranelift_opt_level(OptLevel::None);
        let engine = Engine::new(&config).expect("valid engine configuration");
        let main = Module::new(&engine, MAIN_WAT).expect("the main program compiles");
        let mut linker = Linker::new(&engine);
        wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl).expect("wasi_dl imports");
        let libs = fixed_libraries()
            .into_iter()
            .map(|(n, b)| (n, b.map(Arc::from)))
            .collect();
        World {
            engine,
            main,
            linker,
            libs,
            cache: ModuleCache::new(),
        }
    })
}

/// Fuel for one top-level call (a call with all its constructors).
const FUEL: u64 = 2_000_000;

/// The limits the harness runs with: the defaults, made small enough to fuzz fast.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_libraries: 64,
        max_data_bytes: 16 << 20,
        max_table_slots: 1 << 16,
        max_module_bytes: 1 << 20,
        max_module_functions: 10_000,
        max_dependency_depth: 32,
        max_align_log2: 16,
        max_parked_libraries: 4,
        max_parked_bytes: 1 << 20,
        ..Limits::default()
    }
}

/// One program run: a store with the main program instantiated.
pub struct Session {
    store: Store<State>,
    instance: Instance,
    open: TypedFunc<(u32, u32, u32, u32, u32), u32>,
    sym: TypedFunc<(u32, u32, u32, u32, u32, u32), u32>,
    close: TypedFunc<u32, u32>,
    last_error: TypedFunc<(u32, u32, u32), u32>,
    addr: TypedFunc<(u32, u32, u32, u32, u32, u32), u32>,
    call: TypedFunc<u32, u32>,
    live: TypedFunc<(), u32>,
    sum: TypedFunc<(), i64>,
    /// The program ran out of fuel (a module looped): it cannot run any more code, not even
    /// the allocator's `free` the loader calls while rolling back, so the checks stop here.
    pub dead: bool,
}

/// Largest errno of the witx ABI.
const MAX_ERRNO: u32 = 12;

impl Session {
    /// A fresh program. `extra` modules are registered besides the fixed libraries; `cache`:
    /// the shared one, or a fresh one (so that fuzz inputs do not pile up in a cache).
    pub fn new(extra: &[(&str, &[u8])], shared_cache: bool) -> Session {
        let w = world();
        let mut builder = WasiDlCtx::builder().limits(fuzz_limits());
        let cache = if shared_cache {
            w.cache.clone()
        } else {
            ModuleCache::new()
        };
        builder = builder
            .cache(cache)
            .expect("an in-memory cache overlaps no grant");
        for (name, bytes) in &w.libs {
            if let Some(bytes) = bytes {
                builder = builder.module_bytes(name, bytes.clone());
            }
        }
        for (name, bytes) in extra {
            builder = builder.module_bytes(name, bytes.to_vec());
        }
        let mut store = Store::new(
            &w.engine,
            State {
                dl: builder.build(),
            },
        );
        store.set_fuel(FUEL).expect("fuel is enabled");
        let instance = w
            .linker
            .instantiate(&mut store, &w.main)
            .expect("the main program links");
        macro_rules! f {
            ($name:literal) => {
                instance.get_typed_func(&mut store, $name).expect($name)
            };
        }
        Session {
            open: f!("do_open"),
            sym: f!("do_sym"),
            close: f!("do_close"),
            last_error: f!("do_last_error"),
            addr: f!("do_addr"),
            call: f!("call_v_i"),
            live: f!("live_blocks"),
            sum: f!("block_sum"),
            dead: false,
            instance,
            store,
        }
    }

    fn refuel(&mut self) {
        self.store.set_fuel(FUEL).expect("fuel is enabled");
    }

    /// Writes `bytes` into the program's memory at `at`.
    pub fn put(&mut self, at: u32, bytes: &[u8]) {
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .expect("memory");
        memory
            .write(&mut self.store, at as usize, bytes)
            .expect("scratch is in bounds");
    }

    pub fn read_u32(&mut self, at: u32) -> u32 {
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .expect("memory");
        let mut b = [0u8; 4];
        memory
            .read(&mut self.store, at as usize, &mut b)
            .expect("in bounds");
        u32::from_le_bytes(b)
    }

    /// An import call's errno. The host never traps on a `wasi_dl` call: a trap here is a bug.
    fn errno(&mut self, what: &str, r: wasmtime::Result<u32>) -> u32 {
        let out_of_fuel = self.store.get_fuel().is_ok_and(|f| f == 0);
        let errno = match r {
            Ok(_) | Err(_) if out_of_fuel => {
                self.dead = true;
                return u32::MAX;
            }
            Ok(e) => e,
            Err(e) => panic!("{what}: the host trapped or failed: {e:#}"),
        };
        assert!(
            errno <= MAX_ERRNO,
            "{what}: errno {errno} is not in the ABI"
        );
        if errno != 0 {
            let text = self.error_text();
            assert!(!text.is_empty(), "{what}: errno {errno} without a message");
        }
        errno
    }

    /// The last error's text (through the raw import, as a guest reads it).
    pub fn error_text(&mut self) -> String {
        self.refuel();
        let r = self
            .last_error
            .call(&mut self.store, (OUT + 64, 4096, OUT + 60));
        assert_eq!(r.ok(), Some(0), "last_error with valid buffers fails");
        let len = self.read_u32(OUT + 60).min(4096) as usize;
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .expect("memory");
        let mut buf = vec![0u8; len];
        memory
            .read(&mut self.store, (OUT + 64) as usize, &mut buf)
            .expect("in bounds");
        String::from_utf8(buf).expect("error texts are UTF-8")
    }

    /// `open(name, flags)`: (errno, handle).
    pub fn open(&mut self, name: &[u8], flags: u32) -> (u32, u32) {
        let name = &name[..name.len().min(0x3000)];
        self.put(SCRATCH, name);
        self.put(OUT, &[0; 4]);
        self.refuel();
        let r = self
            .open
            .call(&mut self.store, (SCRATCH, name.len() as u32, flags, 0, OUT));
        let errno = self.errno("open", r);
        (errno, if errno == 0 { self.read_u32(OUT) } else { 0 })
    }

    pub fn raw_open(&mut self, ptr: u32, len: u32, flags: u32, caller: u32, out: u32) -> u32 {
        self.refuel();
        let r = self
            .open
            .call(&mut self.store, (ptr, len, flags, caller, out));
        self.errno("raw open", r)
    }

    /// `sym(handle, name)`: (errno, kind, value).
    pub fn sym(&mut self, handle: u32, name: &[u8], caller: u32) -> (u32, u32, u32) {
        let name = &name[..name.len().min(0x3000)];
        self.put(SCRATCH, name);
        self.refuel();
        let r = self.sym.call(
            &mut self.store,
            (handle, SCRATCH, name.len() as u32, caller, OUT, OUT + 4),
        );
        let errno = self.errno("sym", r);
        if errno == 0 {
            let kind = self.read_u32(OUT) & 0xff;
            (0, kind, self.read_u32(OUT + 4))
        } else {
            (errno, 0, 0)
        }
    }

    pub fn raw_sym(&mut self, args: (u32, u32, u32, u32, u32, u32)) -> u32 {
        self.refuel();
        let r = self.sym.call(&mut self.store, args);
        self.errno("raw sym", r)
    }

    pub fn close(&mut self, handle: u32) -> u32 {
        self.refuel();
        let r = self.close.call(&mut self.store, handle);
        self.errno("close", r)
    }

    pub fn raw_last_error(&mut self, buf: u32, len: u32, len_out: u32) -> u32 {
        self.refuel();
        let r = self.last_error.call(&mut self.store, (buf, len, len_out));
        self.errno("last_error", r)
    }

    pub fn raw_addr(&mut self, args: (u32, u32, u32, u32, u32, u32)) -> u32 {
        self.refuel();
        let r = self.addr.call(&mut self.store, args);
        self.errno("addr", r)
    }

    /// Calls a function pointer `() -> i32`; a trap (wrong type, guest fault) is fine.
    pub fn call(&mut self, index: u32) -> Option<u32> {
        self.refuel();
        let r = self.call.call(&mut self.store, index).ok();
        if self.store.get_fuel().is_ok_and(|f| f == 0) {
            self.dead = true;
        }
        r
    }

    pub fn loaded(&self) -> usize {
        self.store.data().dl.loaded_libraries()
    }

    /// Closed libraries kept for reuse (each still holds its data block).
    pub fn parked(&self) -> usize {
        self.store.data().dl.parked_libraries()
    }

    /// Asserts that the only data blocks left are those of parked libraries.
    pub fn check_no_blocks_but_parked(&mut self, context: &str) {
        let (live, _) = self.blocks();
        assert_eq!(
            live as usize,
            self.parked(),
            "{context}: data blocks left besides parked libraries"
        );
    }

    /// Outstanding blocks of the program's allocator, and the sum of their addresses.
    pub fn blocks(&mut self) -> (u32, i64) {
        self.refuel();
        let live = self.live.call(&mut self.store, ()).expect("live_blocks");
        let sum = self.sum.call(&mut self.store, ()).expect("block_sum");
        (live, sum)
    }

    /// The program's shadow stack pointer.
    pub fn stack_pointer(&mut self) -> i32 {
        let sp = self
            .instance
            .get_global(&mut self.store, "__stack_pointer")
            .expect("__stack_pointer");
        sp.get(&mut self.store).i32().expect("an i32")
    }

    pub fn table_size(&mut self) -> u64 {
        let table = self
            .instance
            .get_table(&mut self.store, "__indirect_function_table")
            .expect("table");
        table.size(&self.store)
    }

    /// Every library, loaded or parked for reuse, holds exactly one data block from the
    /// program's allocator.
    pub fn check_blocks(&mut self, context: &str) {
        if self.dead {
            return;
        }
        let (live, _) = self.blocks();
        let (loaded, parked) = (self.loaded(), self.parked());
        assert_eq!(
            live as usize,
            loaded + parked,
            "{context}: {live} data blocks for {loaded} loaded and {parked} parked libraries"
        );
    }
}

impl Session {
    /// Asserts that `name` is not loaded (and left no data block: see `check_blocks`).
    pub fn check_gone(&mut self, name: &str, context: &str) {
        let (errno, handle) = self.open(name.as_bytes(), RTLD_NOLOAD | RTLD_NOW);
        if self.dead {
            return;
        }
        assert_eq!((errno, handle), (0, 0), "{context}: {name} is still loaded");
        self.check_blocks(context);
    }

    /// Closes every reference to the fixed libraries and libfuzz.so that is left.
    pub fn drain(&mut self) {
        let mut names: Vec<&str> = world().libs.iter().map(|(n, _)| *n).collect();
        names.push("libfuzz.so");
        for name in names {
            for _ in 0..64 {
                let (errno, handle) = self.open(name.as_bytes(), RTLD_NOLOAD | RTLD_NOW);
                if self.dead || errno != 0 || handle == 0 {
                    break;
                }
                // The NOLOAD reference, then one somebody left.
                let _ = self.close(handle);
                if self.dead || self.close(handle) != 0 {
                    break;
                }
            }
        }
    }
}
