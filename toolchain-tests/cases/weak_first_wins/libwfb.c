/* Strong definitions of the same names, loaded later. */
const char *wf_who(void) { return "libwfb (strong)"; }
int wf_data = 2;
