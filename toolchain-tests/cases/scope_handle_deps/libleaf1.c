const char *which_lib(void) { return "leaf1"; }
const char *leaf_only(void) { return "leaf1"; }
