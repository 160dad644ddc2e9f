/* Weak definitions, loaded first. */
__attribute__((weak)) const char *wf_who(void) { return "libwfa (weak)"; }
__attribute__((weak)) int wf_data = 1;
