/* Another provider of the same names, with other values. */
int which_data = 20;
int which(void) { return 2; }
