/* The root's second dependency. */
const char *grp_answer(void) { return "libgb"; }
