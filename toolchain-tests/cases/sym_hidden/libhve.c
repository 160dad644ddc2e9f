/* Calls a function the program defines hidden: nothing can satisfy it. */
int prog_hidden(void);
int hve_call(void) { return prog_hidden(); }
