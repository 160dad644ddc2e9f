//! The guest-facing errno of each failure: the ABI's coarse code beside the `dlerror()` text.
//! It lives at the ABI edge because `Errno` is a type of the witx bindings; the error type
//! itself (in `error`) knows nothing of the ABI.

use crate::abi::witx::types::Errno;
use crate::error::DlError;

impl DlError {
    /// The coarse code the guest receives with the message.
    pub fn errno(&self) -> Errno {
        match self {
            DlError::NotFound { .. }
            | DlError::NotSearched { .. }
            | DlError::NoOrigin { .. }
            | DlError::NotDirectory { .. } => Errno::Noent,
            DlError::Denied { .. } => Errno::Access,
            DlError::IsDirectory { .. } | DlError::Io { .. } => Errno::Io,
            DlError::NotSideModule { .. }
            | DlError::Compile { .. }
            | DlError::Unsupported { .. }
            | DlError::NoDlopen { .. } => Errno::Noexec,
            DlError::UndefinedSymbol { .. } | DlError::Link { .. } => Errno::Link,
            DlError::NoSymbol { .. } | DlError::NoAddress { .. } => Errno::Nosym,
            DlError::BadHandle { .. } => Errno::Badf,
            DlError::Limit { .. } | DlError::TooDeep { .. } => Errno::Limit,
            DlError::OutOfMemory { .. } => Errno::Nomem,
            DlError::Init { .. } => Errno::Init,
            DlError::Program(_) => Errno::Link,
            DlError::Fault(_) => Errno::Fault,
            DlError::Invalid(_) | DlError::InvalidMode { .. } | DlError::FiniRunning => {
                Errno::Inval
            }
        }
    }
}
