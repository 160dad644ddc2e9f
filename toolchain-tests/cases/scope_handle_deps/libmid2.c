const char *which_lib(void) { return "mid2"; }
