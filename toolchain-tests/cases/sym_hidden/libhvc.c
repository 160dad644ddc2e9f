/* Needs hv_secret, which only libhva defines, hidden. */
int hv_secret(void);
int hvc_call(void) { return hv_secret() + 1000; }
