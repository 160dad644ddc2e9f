/* libcyca needs libcycb and libcycb needs libcyca. */
int cycb_is_odd(int n);
int cycb_value(void);
void prog_count_dtor(void);

int cyca_ctor_runs;
__attribute__((constructor)) static void init(void) { cyca_ctor_runs++; }
__attribute__((destructor)) static void fini(void) { prog_count_dtor(); }

int cyca_is_even(int n) { return n == 0 ? 1 : cycb_is_odd(n - 1); }
int cyca_value(void) { return 1; }
int cyca_sum(void) { return 10 + cycb_value(); }
