int dd_where(void) { return 2; }
