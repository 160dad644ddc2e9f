/* No SONAME; main.c moves it into sub/, off the library path. */
int bn_value(void) { return 5; }
