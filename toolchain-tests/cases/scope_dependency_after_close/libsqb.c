int sqb_id(void) { return 1; }
