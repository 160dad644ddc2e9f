//! Which table slots wasm-ld gave a program's `env` function imports, read from its element
//! segments (function-pointer identity for programs linked against side modules).

use rustc_hash::FxHashMap;

/// The table slots wasm-ld gave the program's `env` function imports (its element
/// segments), by import name. Unreadable bytes give an empty map (then pointers to those
/// functions differ from `dlsym`'s, calls still work).
pub(crate) fn import_slots(bytes: &[u8]) -> FxHashMap<Box<str>, u32> {
    read_import_slots(bytes).unwrap_or_default()
}

fn read_import_slots(bytes: &[u8]) -> Option<FxHashMap<Box<str>, u32>> {
    use wasmparser::{ElementItems, ElementKind, Operator, Parser, Payload, TypeRef};
    let mut imported: Vec<Option<Box<str>>> = Vec::new();
    let mut slots = FxHashMap::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.ok()?;
                    if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ty {
                        imported.push((import.module == "env").then(|| import.name.into()));
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    let element = element.ok()?;
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = element.kind
                    else {
                        continue;
                    };
                    if table_index.unwrap_or(0) != 0 {
                        continue;
                    }
                    let mut ops = offset_expr.get_operators_reader();
                    let Ok(Operator::I32Const { value: offset }) = ops.read() else {
                        continue;
                    };
                    let ElementItems::Functions(funcs) = element.items else {
                        continue;
                    };
                    for (position, func) in funcs.into_iter().enumerate() {
                        let func = func.ok()? as usize;
                        if let Some(Some(name)) = imported.get(func) {
                            let slot =
                                (offset as u32).checked_add(u32::try_from(position).ok()?)?;
                            slots.entry(name.clone()).or_insert(slot);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Some(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_slots_of_imported_functions() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "lib_a" (func $a (param i32) (result i32)))
                (import "wasi" "other" (func $o))
                (import "env" "lib_b" (func $b))
                (func $own)
                (table 8 funcref)
                (elem (i32.const 1) func $own $b $a $o))"#,
        )
        .unwrap();
        let slots = import_slots(&wasm);
        assert_eq!(slots.get("lib_b"), Some(&2));
        assert_eq!(slots.get("lib_a"), Some(&3));
        assert_eq!(slots.len(), 2, "only env imports: {slots:?}");
        assert!(import_slots(b"not wasm").is_empty());
    }
}
