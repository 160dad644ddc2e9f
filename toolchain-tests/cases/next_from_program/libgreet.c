#include <stdio.h>
const char *nx_greet(void) { return "libgreet"; }
