//! Naming the code of a guest backtrace: which loaded library a frame's module is. wasmtime
//! names a frame after the module's own name section, which holds the name the library had
//! when it was linked, not the file it was loaded from.

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
}
