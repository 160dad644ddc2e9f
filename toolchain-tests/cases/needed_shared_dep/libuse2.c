int shared_next(void);
int *shared_counter_addr(void);
int use2_next(void) { return shared_next() + 2000; }
int *use2_counter_addr(void) { return shared_counter_addr(); }
