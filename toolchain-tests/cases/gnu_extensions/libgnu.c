int gnu_value(void) { return 7; }
int gnu_data = 70;
