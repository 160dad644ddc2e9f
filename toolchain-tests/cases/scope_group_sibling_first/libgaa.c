/* libga's own dependency: defines the name that libgb defines too. */
const char *grp_answer(void) { return "libgaa"; }
