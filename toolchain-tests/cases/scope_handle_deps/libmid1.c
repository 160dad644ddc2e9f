const char *mid1_name(void) { return "mid1"; }
