/* Also defines nx_greet, but is opened RTLD_LOCAL: not in the global scope, so RTLD_NEXT from
 * the program skips it even though it was loaded first. */
const char *nx_greet(void) { return "liblocalgreet"; }
