/* Calls lazy_provided, which it does not define and which no object provides when it is opened
 * (RTLD_LAZY): the call binds when it is first made, after liblazyprov.so became GLOBAL. */
int lazy_provided(int v);
int lazy_plain(void) { return 7; }
int lazy_call(int v) { return lazy_provided(v) + 1; }
