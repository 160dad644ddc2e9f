/* Uses librkprov (opened GLOBAL, no NEEDED entry) only through data: the address of its
 * object in an initialised pointer and a read of it. No call at all. */
extern int rk_counter;
int *rkdata_ptr = &rk_counter;
int rkdata_read(void) { return *rkdata_ptr + rk_counter; }
