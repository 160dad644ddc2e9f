/* The SQLite amalgamation with loadable extensions on WASI. sqlite3.h turns them off for
 * every __wasi__ build (WASI has no dlopen; wasi-dl gives it one), with no option to keep
 * them. Including the header first sets its include guard, so the amalgamation skips its own
 * copy of the header (and that switch); the switch is then undone, and the one definition
 * that lives in the skipped copy is made here. Built the same way natively (a no-op there). */
#include "sqlite3.h"
#undef SQLITE_OMIT_LOAD_EXTENSION
#include "sqlite3.c"
const char sqlite3_version[] = SQLITE_VERSION;
