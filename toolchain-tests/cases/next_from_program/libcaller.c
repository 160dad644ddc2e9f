/* Calls nx_greet by name: the program's definition comes first in the global scope. */
const char *nx_greet(void);
const char *caller_greet(void) { return nx_greet(); }
