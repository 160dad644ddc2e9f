int sgc_value(void) { return 1; }
