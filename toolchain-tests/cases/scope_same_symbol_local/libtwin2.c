/* libtwin1 and libtwin2 export the same names; opened RTLD_LOCAL, each keeps its own. */
int twin_value = 2;
const char *twin_name(void) { return "twin2"; }
int *twin_value_addr(void) { return &twin_value; }
int twin_read(void) { return twin_value; }
