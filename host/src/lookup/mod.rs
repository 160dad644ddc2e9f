//! What is loaded and how names resolve, as data: the scopes and glibc's lookup order
//! ([`scope`]), the program's memory blocks and table slots libraries occupy ([`space`]), the
//! program's own contract exports and symbols ([`program`]), closed libraries kept for
//! reuse ([`parked`]), a library's symbols by name ([`exports`]), and which C++ objects are one per program ([`unique`]). It knows modules (`module`) but no loading phase.

pub(crate) mod exports;
pub(crate) mod parked;
pub(crate) mod program;
pub(crate) mod scope;
pub(crate) mod space;
pub(crate) mod unique;
