/* Calls the program's visible function. */
int prog_visible(void);
int hvf_call(void) { return prog_visible() + 1; }
