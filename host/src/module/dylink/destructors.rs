//! Late destructors: the functions clang registers to run a library's `__attribute__((destructor))`s.

/// Where a side module's `__attribute__((destructor))` functions are, as offsets into its
/// table slots, in the order its constructors would register them (rising priority). clang's wasm backend gathers them into `call_dtors` functions (one per
/// priority), which the constructors register with `__cxa_atexit(call_dtors, NULL, ...)`,
/// exactly as a C++ object's destructor is registered. glibc runs the former after every exit
/// handler, the latter among them: the loader tells the program which is which (see
/// `__wasi_dl_late_destructor`). Found by name (the `name` section); a stripped module has
/// none, and its destructors then run among the exit handlers.
pub fn late_destructor_offsets(bytes: &[u8]) -> Vec<u32> {
    use wasmparser::{ElementItems, ElementKind, KnownCustom, Name, Parser, Payload, TypeRef};
    // (priority, function index): clang names them `call_dtors` (default priority 65535) or
    // `call_dtors.<priority>[.<associated>]`, and registers them in rising priority.
    let mut late_funcs: Vec<(u32, u32)> = Vec::new();
    let mut elements: Vec<(u32, u32)> = Vec::new(); // (offset, function index)
    let mut table_base = None; // the index of the `__table_base` global import
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else {
            return Vec::new();
        };
        match payload {
            Payload::ImportSection(reader) => {
                let mut globals = 0;
                for import in reader.into_imports().flatten() {
                    if let TypeRef::Global(_) = import.ty {
                        if (import.module, import.name) == ("env", "__table_base") {
                            table_base = Some(globals);
                        }
                        globals += 1;
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader.into_iter().flatten() {
                    let ElementKind::Active { offset_expr, .. } = element.kind else {
                        continue;
                    };
                    // Placed at `__table_base` (plus a constant, for a second segment).
                    let Some(base) =
                        crate::module::image::relative_offset(&offset_expr, table_base)
                    else {
                        continue;
                    };
                    if let ElementItems::Functions(funcs) = element.items {
                        for (position, func) in funcs.into_iter().flatten().enumerate() {
                            elements.push((base.wrapping_add(position as u32), func));
                        }
                    }
                }
            }
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(reader) = custom.as_known() {
                    for name in reader.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                let plain = naming.name.trim_start_matches(".L");
                                let Some(rest) = plain.strip_prefix("call_dtors") else {
                                    continue;
                                };
                                if !(rest.is_empty() || rest.starts_with('.')) {
                                    continue;
                                }
                                let priority = rest
                                    .trim_start_matches('.')
                                    .split('.')
                                    .next()
                                    .and_then(|p| p.parse::<u32>().ok())
                                    .filter(|&p| p <= 65535)
                                    .unwrap_or(65535);
                                late_funcs.push((priority, naming.index));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut found: Vec<(u32, u32)> = elements
        .into_iter()
        .filter_map(|(offset, func)| {
            let (priority, _) = late_funcs.iter().find(|(_, f)| *f == func)?;
            Some((*priority, offset))
        })
        .collect();
    found.sort_by_key(|&(priority, offset)| (priority, offset));
    found.into_iter().map(|(_, offset)| offset).collect()
}
