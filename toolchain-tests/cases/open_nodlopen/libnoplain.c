/* A library without the flag. */
int noplain_value(void) { return 1000; }
