const char *unrelated_fn(void) { return "unrelated"; }
