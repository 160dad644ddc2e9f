/* libsu's dependency. */
int suv_fn(void) { return 7; }
int suv_data = 8;
