/* Addresses that belong to the library but to none of its exported symbols. */
static int anon_static_array[16];
static int anon_static_fn(int v) { return v * 3; }

const void *anon_array_addr(void) { return &anon_static_array[3]; }
int (*anon_fn_ptr(void))(int) { return anon_static_fn; }
