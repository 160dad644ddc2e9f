/* The root's first dependency; needs libgaa (case.toml). */
const char *grp_answer(void);
const char *ga_ask(void) { return grp_answer(); }
