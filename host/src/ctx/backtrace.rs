//! Naming the code of a guest backtrace: which loaded library a frame's module is. wasmtime
//! names a frame after the module's own name section, which holds the name the library had
//! when it was linked, not the file it was loaded from, and a library whose name section was
//! stripped leaves its frames nameless although the loader knows its exported functions.

use crate::ctx::WasiDlCtx;

impl WasiDlCtx {
    /// The files (guest paths, else the names asked for) of the loaded libraries compiled as
    /// `module`, in load order: one, or several when copies of one file are loaded under
    /// different names (they share the compiled code). Empty for a module that is no loaded
    /// library, such as the program.
    ///
    /// For a trap's [`wasmtime::WasmBacktrace`]: `frame.module()` is the module to ask about.
    pub fn library_files(&self, module: &wasmtime::Module) -> Vec<&str> {
        self.scope
            .order()
            .iter()
            .filter_map(|&id| self.scope.get(id))
            .filter(|lib| wasmtime::Module::same(&lib.compiled.module, module))
            .map(|lib| lib.display_name())
            .collect()
    }

    /// The exported name of function `func_index` (the module's function index space, imports
    /// included, as [`wasmtime::FrameInfo::func_index`] gives it) of the loaded library
    /// compiled as `module`; the first in export order if it is exported under several names.
    /// `None` for a function the library does not export, or a module that is no loaded
    /// library.
    ///
    /// For a trap's frame whose [`wasmtime::FrameInfo::func_name`] is `None` because the
    /// library's name section was stripped.
    pub fn function_name(&self, module: &wasmtime::Module, func_index: u32) -> Option<&str> {
        self.scope
            .order()
            .iter()
            .filter_map(|&id| self.scope.get(id))
            .find(|lib| wasmtime::Module::same(&lib.compiled.module, module))
            .and_then(|lib| lib.compiled.info.function_name(func_index))
    }
}
