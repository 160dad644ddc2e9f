int erc_value(void) { return 7; }
int erc_data = 11;
