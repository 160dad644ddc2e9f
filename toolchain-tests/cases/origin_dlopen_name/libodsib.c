int od_sib_value(void) { return 11; }
