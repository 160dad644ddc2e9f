//! A found library and its bytes, read when first needed: a file whose module the compile
//! cache holds under its identity is never read beyond its first bytes.

use std::path::Path;
use std::sync::Arc;

#[cfg(test)]
use super::read_head;
use super::{read_rest, Fetched, FileIdentity};
use crate::error::{DlError, DlResult};

/// A library found by the loader's search: named and checked, its bytes read when first
/// needed (a file the compile cache knows by its identity is never read in full).
pub(crate) struct Found {
    /// As [`Fetched::key`].
    pub(crate) key: String,
    /// As [`Fetched::path`].
    pub(crate) path: Option<String>,
    pub(crate) body: Body,
    /// The file's identity, when the library is a file from a granted directory.
    pub(crate) identity: Option<FileIdentity>,
}

impl Found {
    pub(super) fn read(fetched: Fetched) -> Found {
        Found {
            key: fetched.key,
            path: fetched.path,
            body: Body::from_bytes(fetched.bytes),
            identity: None,
        }
    }
}

/// A module's bytes: already in memory, or the rest of an opened file whose checks passed and
/// whose first bytes were read (see [`read_head`]).
pub(crate) struct Body(BodyState);

enum BodyState {
    Read(Arc<[u8]>),
    Unread {
        file: std::fs::File,
        head: Vec<u8>,
        path: String,
        max_bytes: u64,
    },
    Failed(DlError),
}

impl Body {
    pub(crate) fn from_bytes(bytes: Arc<[u8]>) -> Body {
        Body(BodyState::Read(bytes))
    }

    /// The rest of `file`, whose checks passed and whose first bytes are `head`.
    pub(super) fn unread(file: std::fs::File, head: Vec<u8>, path: String, max_bytes: u64) -> Body {
        Body(BodyState::Unread {
            file,
            head,
            path,
            max_bytes,
        })
    }

    /// The whole module, read from the file on the first call (from the same open file the
    /// identity was taken of).
    pub(crate) fn bytes(&mut self) -> DlResult<Arc<[u8]>> {
        let state = std::mem::replace(
            &mut self.0,
            BodyState::Failed(DlError::Invalid(String::new())),
        );
        let (state, result) = match state {
            BodyState::Read(bytes) => (BodyState::Read(bytes.clone()), Ok(bytes)),
            BodyState::Unread {
                file,
                head,
                path,
                max_bytes,
            } => match read_rest(&file, head, Path::new(&path), max_bytes) {
                Ok(bytes) => {
                    let bytes: Arc<[u8]> = bytes.into();
                    (BodyState::Read(bytes.clone()), Ok(bytes))
                }
                Err(e) => {
                    let e = e.into_dl_error();
                    (BodyState::Failed(e.clone()), Err(e))
                }
            },
            BodyState::Failed(e) => (BodyState::Failed(e.clone()), Err(e)),
        };
        self.0 = state;
        result
    }

    /// The library file at `path` as the loader finds it: checked, first bytes read.
    #[cfg(test)]
    pub(crate) fn open_file(path: &Path) -> (Body, Option<FileIdentity>) {
        let file = std::fs::File::open(path).unwrap();
        let meta = file.metadata().unwrap();
        let head = read_head(&file, &meta, path, u64::MAX).unwrap();
        let body = Body(BodyState::Unread {
            file,
            head,
            path: path.display().to_string(),
            max_bytes: u64::MAX,
        });
        (body, FileIdentity::of(&meta))
    }

    /// Whether the whole module was read (or was in memory from the start).
    #[cfg(test)]
    pub(crate) fn is_read(&self) -> bool {
        matches!(self.0, BodyState::Read(_))
    }
}
