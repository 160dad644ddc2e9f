int odd_value(void) { return 9; }
