int shared_next(void);
int *shared_counter_addr(void);
int use1_next(void) { return shared_next() + 1000; }
int *use1_counter_addr(void) { return shared_counter_addr(); }
