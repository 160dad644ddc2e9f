/* One side of the diamond: needs libdbase. */
int *dbase_addr(void);
int dbase_runs(void);
static int saw_base;
static int ready;
__attribute__((constructor)) static void init(void)
{
    saw_base = dbase_runs() == 1; /* libdbase was constructed first */
    ready = 1;
}
int dright_ready(void) { return ready; }
int dright_saw_base(void) { return saw_base; }
int *dright_base_addr(void) { return dbase_addr(); }
int dright_bump(void) { return ++*dbase_addr(); }
