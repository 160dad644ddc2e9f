/* Closed and unloaded by the program: its addresses then belong to nothing. */
int gone_data[4] = {1, 2, 3, 4};
int gone_fn(void) { return gone_data[0] + 4; }
static int gone_bss[64];
int *gone_bss_addr(void) { return &gone_bss[10]; }
