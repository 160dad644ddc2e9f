int loc_fn(void) { return 2; }
