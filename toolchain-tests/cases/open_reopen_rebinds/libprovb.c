/* A second provider of the same names, with other values. */
int prov_data = 200;
int prov(void) { return 2; }
