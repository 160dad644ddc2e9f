/* One of three files whose SONAME is libsx.so.9 (case.toml). */
int sx_which(void) { return 1; }
