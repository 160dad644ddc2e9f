/* The bottom of the diamond: loaded once, shared by both sides. */
int dbase_ctor_runs;
int dbase_value = 100;
__attribute__((constructor)) static void init(void) { dbase_ctor_runs++; }
int *dbase_addr(void) { return &dbase_value; }
int dbase_runs(void) { return dbase_ctor_runs; }
