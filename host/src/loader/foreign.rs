//! Imports a side module takes from outside `env` and `GOT.*`: WASI preview 1, or any other
//! host module of the program's linker. A library gets only what the program could import.
//!
//! Host functions like wasmtime-wasi's find the guest's memory through the *calling*
//! instance's `memory` export. A side module imports its memory and cannot export it (wasm-ld
//! refuses `--export-memory` with `--shared`), so a direct call would find none and trap. Each
//! such function is therefore reached through a trampoline: a tiny module that imports the
//! program's memory and the host function, exports the memory, and forwards the call. The
//! host function then sees the program's memory, as when the program calls it. One trampoline
//! per function per program (cached in the context), not per library.

use wasmtime::{AsContextMut, Func, FuncType, Memory, Module, ValType};

use super::exec::{self, Mode};

/// `func` as a side module should import it: behind a trampoline that exports `memory`.
/// Functions whose signature holds reference types are handed over as they are (a trampoline
/// cannot forward them in every engine configuration; no WASI function has one).
pub(crate) async fn with_memory<T: Send + 'static>(
    caller: &mut (impl AsContextMut<Data = T> + Send),
    mode: Mode,
    memory: Memory,
    func: Func,
) -> Result<Func, String> {
    let ty = func.ty(caller.as_context());
    let Some(bytes) = trampoline_module(&ty) else {
        return Ok(func);
    };
    let module =
        Module::new(caller.as_context().engine(), bytes).map_err(|e| format!("trampoline: {e}"))?;
    let instance = exec::instantiate(&mut *caller, mode, &module, &[memory.into(), func.into()])
        .await
        .map_err(|e| format!("trampoline: {e}"))?;
    instance
        .get_func(&mut *caller, "forward")
        .ok_or_else(|| "trampoline: no forward export".to_string())
}

/// `(module (import "env" "memory" (memory 0)) (import "host" "f" (func $f <ty>))
///   (export "memory" (memory 0)) (func (export "forward") <ty> local.get 0 .. call $f))`
fn trampoline_module(ty: &FuncType) -> Option<Vec<u8>> {
    use wasm_encoder::{
        CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection,
        ImportSection, MemoryType, Module, TypeSection,
    };
    let params: Vec<_> = ty
        .params()
        .map(|t| encoder_type(&t))
        .collect::<Option<_>>()?;
    let results: Vec<_> = ty
        .results()
        .map(|t| encoder_type(&t))
        .collect::<Option<_>>()?;
    let mut types = TypeSection::new();
    types
        .ty()
        .function(params.iter().copied(), results.iter().copied());
    let mut imports = ImportSection::new();
    imports.import(
        "env",
        "memory",
        EntityType::Memory(MemoryType {
            minimum: 0,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        }),
    );
    imports.import("host", "f", EntityType::Function(0));
    let mut functions = FunctionSection::new();
    functions.function(0);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("forward", ExportKind::Func, 1);
    let mut body = Function::new([]);
    let mut code = body.instructions();
    for i in 0..params.len() as u32 {
        code.local_get(i);
    }
    code.call(0).end();
    let mut codes = CodeSection::new();
    codes.function(&body);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&exports)
        .section(&codes);
    Some(module.finish())
}

/// A wasm value type for wasm-encoder; reference types have none here (no C signature has
/// one).
pub(crate) fn encoder_type(ty: &ValType) -> Option<wasm_encoder::ValType> {
    Some(match ty {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
        ValType::V128 => wasm_encoder::ValType::V128,
        ValType::Ref(_) => return None,
    })
}
