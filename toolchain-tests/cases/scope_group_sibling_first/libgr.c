/* The root: needs libga, then libgb. */
const char *grp_answer(void);
const char *gr_ask(void) { return grp_answer(); }
