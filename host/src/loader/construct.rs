//! Constructing: `__wasm_apply_data_relocs` and `__wasm_call_ctors`, dependencies first, and
//! telling the program which destructors a library registered late.

use crate::error::{one_line, DlError, DlResult};
use crate::lookup::scope::LibId;

use super::exec;
use super::{guest_failure, Session};

/// Phase 4: data relocations, then constructors, dependencies first.
/// `order`: dependencies before the libraries that need them.
pub(super) async fn construct_group<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    order: &[LibId],
) -> DlResult<()> {
    for &id in order {
        let (instance, name) = {
            let lib = s.cx().scope.lib(id)?;
            (lib.instance, lib.display_name().to_string())
        };
        let Some(instance) = instance else { continue };
        s.cx().scope.mark_initialized(id);
        tell_late_destructors(s, id).await?;
        for (export, phase) in [
            ("__wasm_apply_data_relocs", "applying data relocations"),
            ("__wasm_call_ctors", "running constructors"),
        ] {
            let Some(func) = instance.get_func(&mut s.caller, export) else {
                continue;
            };
            let func = func.typed::<(), ()>(&s.caller).map_err(|e| DlError::Link {
                library: name.clone(),
                import: export.into(),
                reason: one_line(&e),
            })?;
            let mode = s.mode();
            exec::call(&mut s.caller, mode, &func, ())
                .await
                .map_err(|e| DlError::Init {
                    name: name.clone(),
                    phase,
                    reason: guest_failure(s, e),
                })?;
        }
    }
    Ok(())
}

/// Before a library's constructors run: which functions they will register are its
/// `__attribute__((destructor))` functions (glibc runs those after every exit handler).
async fn tell_late_destructors<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
) -> DlResult<()> {
    let Some(tell) = s.program()?.late_destructor.clone() else {
        return Ok(());
    };
    let (base, end, table_base, offsets) = {
        let lib = s.cx().scope.lib(id)?;
        (
            lib.mem_base,
            lib.mem_end(),
            lib.table_base,
            lib.compiled.late_destructors.clone(),
        )
    };
    for offset in offsets {
        let slot = table_base.wrapping_add(offset);
        let mode = s.mode();
        exec::call(&mut s.caller, mode, &tell, (base, end, slot))
            .await
            .map_err(|e| DlError::Init {
                name: s
                    .cx()
                    .scope
                    .get(id)
                    .map(|l| l.display_name().to_string())
                    .unwrap_or_default(),
                phase: "registering destructors",
                reason: guest_failure(s, e),
            })?;
    }
    Ok(())
}
