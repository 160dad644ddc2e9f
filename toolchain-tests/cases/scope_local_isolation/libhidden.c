/* Opened RTLD_LOCAL: its symbols are reachable only through its own handle. */
int hidden_fn(void) { return 42; }
int hidden_data = 5;
