int good_fn(void) { return 3; }
