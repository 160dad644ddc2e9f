/* libroot needs libmid1 then libmid2; libmid1 needs libleaf1. Breadth-first, the search order
 * from libroot is: libroot, libmid1, libmid2, libleaf1. Both libmid2 and libleaf1 define
 * which_lib; depth-first would find libleaf1's, breadth-first finds libmid2's. */
const char *which_lib(void);
const char *root_calls_which(void) { return which_lib(); }
