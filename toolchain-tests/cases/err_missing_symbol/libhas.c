int has_fn(void) { return 8; }
