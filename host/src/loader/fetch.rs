//! Finding and reading one library's bytes (through `module::source`: search path,
//! `RUNTIME_PATH`, `$ORIGIN`, grants) before it is compiled.

use crate::error::DlResult;
use crate::lookup::scope::LibId;
use crate::module::source::{Asking, Requester};

use super::exec::Mode;
use super::Session;

/// Finds `name` for `requester` (a library, whose RUNTIME_PATH is searched, or the program,
/// whose RUNPATH is); with the file's identity when it came from a directory. Its bytes are
/// read when the compile cache needs them.
pub(super) async fn fetch<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
) -> DlResult<crate::module::source::Found> {
    let config = s.cx().config.clone();
    let runtime_path = match requester {
        Some(id) => s.cx().scope.lib(id)?.runtime_path.clone(),
        None => s.cx().program_runpath.clone(),
    };
    let requester = Requester {
        runtime_path: &runtime_path,
    };
    let max_bytes = config.limits.max_module_bytes;
    // An async store's loader awaits the embedder's sources (`ModuleSource::fetch_async`).
    let asking = match s.mode() {
        Mode::Sync => Asking::Blocking,
        Mode::Async => Asking::Async,
    };
    config
        .sources
        .fetch_file(name, &requester, max_bytes, asking)
        .await
}
