/* The first provider of prov() and prov_data. */
int prov_data = 100;
int prov(void) { return 1; }
