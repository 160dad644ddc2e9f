/* One provider of which() and which_data. */
int which_data = 10;
int which(void) { return 1; }
