int sqd_id(void) { return 1; }
