/* Uses librkprov only through a function pointer in its data (a relocation, never a call
 * by name). */
int rk_two(void);
int (*rkfn_ptr)(void) = rk_two;
int rkfn_call(void) { return rkfn_ptr(); }
