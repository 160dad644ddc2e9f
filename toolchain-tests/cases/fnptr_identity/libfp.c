/* Function pointer identity: every way of naming fp_square must give one pointer. */
int fp_square(int x) { return x * x; }
int fp_cube(int x) { return x * x * x; }
static int fp_private(int x) { return x + 1; }

/* A data relocation holding a function address. */
int (*fp_stored)(int) = fp_square;

int (*fp_get_square(void))(int) { return fp_square; }
int (*fp_get_cube(void))(int) { return &fp_cube; }
int (*fp_get_private(void))(int) { return fp_private; }
int fp_is_square(int (*f)(int)) { return f == fp_square; }
