int earlier_value = 1;
int earlier_fn(void) { return earlier_value * 100; }
