int gnu_value(void) { return 7; }
