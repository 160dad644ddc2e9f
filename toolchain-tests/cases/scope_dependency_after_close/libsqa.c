int sqa_id(void) { return 1; }
