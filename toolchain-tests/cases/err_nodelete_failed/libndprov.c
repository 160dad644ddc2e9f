int nd_provided(void) { return 41; }
