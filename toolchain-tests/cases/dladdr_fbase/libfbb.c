int fbb_data = 2;
int fbb_fn(void) { return 2; }
