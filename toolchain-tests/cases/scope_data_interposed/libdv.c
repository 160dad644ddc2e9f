/* Defines data the program defines too: its own references (reads, an initialised pointer)
 * go through the lookup order, where the program comes first, as in ELF. */
int dup_var = 2;
int dup_arr[4] = {20, 21, 22, 23};
int *dv_ptr = &dup_var;
int dv_read(void) { return dup_var * 100 + dup_arr[1] + *dv_ptr; }
void *dv_addr(void) { return &dup_var; }
