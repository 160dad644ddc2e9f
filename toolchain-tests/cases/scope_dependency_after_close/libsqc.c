int sqc_id(void) { return 1; }
