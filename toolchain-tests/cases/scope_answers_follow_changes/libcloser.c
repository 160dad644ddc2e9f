/* Closes a handle on the program's behalf: a change made from inside a library. */
#include <dlfcn.h>

int close_for(void *handle) { return dlclose(handle); }
