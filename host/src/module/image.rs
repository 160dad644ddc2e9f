//! What a fresh instantiation of a side module sets in the program (its data segments in the
//! block, its element segments in the table range), read once from its bytes so that a parked
//! instance can be reset to it (see `loader::reuse`), and the segment-offset reading the
//! `dylink.0` checks share.

use wasmparser::{DataKind, ElementKind, Operator, Parser, Payload, TypeRef};

use crate::module::dylink::MemInfo;

/// How to put a module's data block back the way instantiation leaves it: its active data
/// segments, as offsets from `__memory_base`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ResetImage {
    pub(crate) segments: Vec<(u32, Box<[u8]>)>,
}

/// Reads the reset image of a module, or why it has none (then it is never parked).
pub(crate) fn reset_image(bytes: &[u8], mem: &MemInfo) -> Result<ResetImage, &'static str> {
    let mut image = ResetImage::default();
    let mut global_imports = 0u32;
    let (mut memory_base, mut table_base) = (None, None);
    let mut globals = OwnGlobals::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|_| "unreadable")? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|_| "unreadable imports")?;
                    if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        globals.function_imports += 1;
                    }
                    if let TypeRef::Global(_) = import.ty {
                        match (import.module, import.name) {
                            ("env", "__memory_base") => memory_base = Some(global_imports),
                            ("env", "__table_base") => table_base = Some(global_imports),
                            _ => {}
                        }
                        global_imports += 1;
                    }
                }
            }
            Payload::MemorySection(reader) if reader.count() > 0 => {
                return Err("it defines its own memory")
            }
            Payload::TableSection(reader) if reader.count() > 0 => {
                return Err("it defines its own table")
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(|_| "unreadable data")?;
                    let DataKind::Active {
                        memory_index: 0,
                        offset_expr,
                    } = data.kind
                    else {
                        return Err("it has passive data segments");
                    };
                    let offset = relative_offset(&offset_expr, memory_base)
                        .ok_or("a data segment is not placed at __memory_base")?;
                    let end = u64::from(offset) + data.data.len() as u64;
                    if end > u64::from(mem.memory_size) {
                        return Err("a data segment lies outside its block");
                    }
                    image.segments.push((offset, data.data.into()));
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    let element = element.map_err(|_| "unreadable elements")?;
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = element.kind
                    else {
                        // A passive segment's `elem.drop` cannot be undone from the host.
                        if matches!(element.kind, ElementKind::Passive) {
                            return Err("it has passive element segments");
                        }
                        continue;
                    };
                    if table_index.unwrap_or(0) != 0 {
                        return Err("an element segment fills another table");
                    }
                    let offset = relative_offset(&offset_expr, table_base)
                        .ok_or("an element segment is not placed at __table_base")?;
                    let count = match &element.items {
                        wasmparser::ElementItems::Functions(items) => items.count(),
                        wasmparser::ElementItems::Expressions(_, items) => items.count(),
                    };
                    if u64::from(offset) + u64::from(count) > u64::from(mem.table_size) {
                        return Err("an element segment lies outside its table slots");
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                globals.imported = global_imports;
                for global in reader {
                    let global = global.map_err(|_| "unreadable globals")?;
                    globals.mutable.push(global.ty.mutable);
                }
            }
            Payload::StartSection { func, .. } => globals.start = Some(func),
            Payload::CodeSectionEntry(body) => globals.scan(body)?,
            _ => {}
        }
    }
    if !globals.only_set_at_start() {
        return Err("it sets its own mutable globals after its start function");
    }
    Ok(image)
}

/// Which functions set a mutable global the module defines. A revived instance keeps its
/// globals (the host cannot reach those it does not export), so a module that changes them
/// while it runs (a constructor counting its runs, a `once` flag) would come back with the
/// state of its earlier life. Globals set only by the start function and the functions it
/// calls are as a fresh instance would have them: wasm-ld's `__wasm_apply_global_relocs`
/// (called from the start function) computes them from `__memory_base` and `__table_base`,
/// which a parked instance keeps.
#[derive(Default)]
struct OwnGlobals {
    function_imports: u32,
    imported: u32,
    /// Per defined global: is it mutable?
    mutable: Vec<bool>,
    start: Option<u32>,
    /// The next code entry's function index, less `function_imports`.
    next: u32,
    /// Functions that set one of the module's own mutable globals.
    setters: Vec<u32>,
    /// Functions each function calls directly, kept for the start function only (whose index
    /// is known before the code section).
    start_callees: Vec<u32>,
}

impl OwnGlobals {
    fn scan(&mut self, body: wasmparser::FunctionBody<'_>) -> Result<(), &'static str> {
        let func = self.function_imports.saturating_add(self.next);
        self.next += 1;
        let is_start = self.start == Some(func);
        let mut ops = body.get_operators_reader().map_err(|_| "unreadable code")?;
        let mut sets = false;
        while !ops.eof() {
            match ops.read().map_err(|_| "unreadable code")? {
                Operator::GlobalSet { global_index } => {
                    let own = global_index
                        .checked_sub(self.imported)
                        .and_then(|i| self.mutable.get(i as usize));
                    sets |= own == Some(&true);
                }
                Operator::Call { function_index } if is_start => {
                    self.start_callees.push(function_index)
                }
                _ => {}
            }
        }
        if sets {
            self.setters.push(func);
        }
        Ok(())
    }

    fn only_set_at_start(&self) -> bool {
        self.setters
            .iter()
            .all(|f| Some(*f) == self.start || self.start_callees.contains(f))
    }
}

/// `global.get base` or `global.get base; i32.const k; i32.add` (either order): the offset
/// from `base`.
/// The offset an active segment's `expr` adds to the imported global `base`
/// (`global.get base`, optionally `+ i32.const k`); `None` for any other placement.
pub(crate) fn relative_offset(expr: &wasmparser::ConstExpr<'_>, base: Option<u32>) -> Option<u32> {
    let base = base?;
    let mut ops = Vec::new();
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        let op = reader.read().ok()?;
        if matches!(op, Operator::End) {
            break;
        }
        if ops.len() == 3 {
            return None;
        }
        ops.push(op);
    }
    let is_base = |op: &Operator<'_>| matches!(op, Operator::GlobalGet { global_index } if *global_index == base);
    match ops.as_slice() {
        [g] if is_base(g) => Some(0),
        [g, Operator::I32Const { value }, Operator::I32Add]
        | [Operator::I32Const { value }, g, Operator::I32Add]
            if is_base(g) =>
        {
            u32::try_from(*value).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(memory_size: u32, table_size: u32) -> MemInfo {
        MemInfo {
            memory_size,
            memory_align_log2: 0,
            table_size,
            table_align_log2: 0,
        }
    }

    const IMPORTS: &str = r#"
        (import "env" "__stack_pointer" (global (mut i32)))
        (import "env" "__memory_base" (global $mb i32))
        (import "env" "__table_base" (global $tb i32))
        (import "env" "memory" (memory 1))
        (import "env" "__indirect_function_table" (table 4 funcref))
    "#;

    fn module(body: &str) -> Vec<u8> {
        wat::parse_str(format!("(module {IMPORTS} {body})")).expect("test module")
    }

    #[test]
    fn segments_relative_to_the_bases_are_kept() {
        let bytes = module(
            r#"(func $f) (data (global.get $mb) "abc")
               (elem (global.get $tb) func $f $f)"#,
        );
        let image = reset_image(&bytes, &mem(16, 2)).unwrap();
        assert_eq!(image.segments, vec![(0, b"abc".to_vec().into())]);
    }

    #[test]
    fn globals_set_by_the_start_function_and_its_callees_are_kept() {
        // As wasm-ld writes it: the start function calls `__wasm_apply_global_relocs`.
        let bytes = module(
            r#"(global $got (mut i32) (i32.const 0))
               (global $other (mut i32) (i32.const 0))
               (func $relocs (global.set $got (global.get $mb)))
               (func $start (call $relocs) (global.set $other (i32.const 1)))
               (start $start)
               (func (export "f") (result i32) (global.get $got))"#,
        );
        assert!(reset_image(&bytes, &mem(16, 2)).is_ok());
    }

    #[test]
    fn what_cannot_be_redone_is_refused() {
        let cases = [
            (r#"(data (i32.const 8) "abc")"#, "__memory_base"),
            (r#"(data "abc")"#, "passive"),
            (
                r#"(data (global.get $mb) "0123456789abcdefg")"#,
                "outside its block",
            ),
            (r#"(memory 1)"#, "own memory"),
            (r#"(table 1 funcref)"#, "own table"),
            (r#"(func $f) (elem (i32.const 0) func $f)"#, "__table_base"),
            (
                r#"(func $f) (elem (global.get $tb) func $f $f $f)"#,
                "outside its table",
            ),
            (r#"(func $f) (elem func $f)"#, "passive element"),
            (
                r#"(global $g (mut i32) (i32.const 0))
                   (func (export "__wasm_call_ctors") (global.set $g (i32.const 1)))"#,
                "mutable globals",
            ),
        ];
        for (body, why) in cases {
            let err = reset_image(&module(body), &mem(16, 2)).unwrap_err();
            assert!(err.contains(why), "{body}: {err}");
        }
    }
}
