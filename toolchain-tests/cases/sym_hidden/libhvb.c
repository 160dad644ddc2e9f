/* Default-visibility definitions of the names libhva keeps hidden. */
int hv_name(void) { return 21; }
int hv_value = 22;
