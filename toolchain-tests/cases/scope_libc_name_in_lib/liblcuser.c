#include <stdlib.h>
int lcuser_atoi(const char *s) { return atoi(s); }
