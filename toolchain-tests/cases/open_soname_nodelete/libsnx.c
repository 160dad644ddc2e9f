int snx_value(void) { return 1; }
