//! Knowledge of modules, no loading: the `dylink.0` reader ([`dylink`]), what a library's
//! metadata means for linking ([`libmeta`]), where bytes come from ([`source`]), modules
//! compiled once ([`cache`]), the image a fresh instance would set up ([`image`]), the
//! program's import slots ([`import_slots`]) and the compile-time binding of a library's own
//! `GOT.func` entries ([`selfbind`]).

pub mod cache;
pub mod dylink;
pub(crate) mod image;
pub(crate) mod import_slots;
pub(crate) mod libmeta;
pub(crate) mod selfbind;
pub mod source;
