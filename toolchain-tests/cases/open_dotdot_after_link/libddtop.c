/* Two builds of one source: `a/libdd.so` and `./libdd.so` (main.c lays them out). */
int dd_where(void) { return 1; }
