/* Calls functions nobody defines when it is loaded (RTLD_LAZY): bound at the first call. */
int sg_later(void);
__attribute__((weak)) int sg_weak(void);
int sg_promoted(void);
int sgb_later(void) { return sg_later(); }
int sgb_weak(void) { return sg_weak(); }
int sgb_promoted(void) { return sg_promoted(); }
