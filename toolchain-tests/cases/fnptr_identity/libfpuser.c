/* Takes the address of a function defined in its dependency libfp.so. */
int fp_square(int x);
int (*fpuser_get_square(void))(int) { return fp_square; }
int (*fpuser_stored)(int) = fp_square;
